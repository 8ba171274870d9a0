// The embedded broker writes QoS 1 packets (each with a packet id) without mqtt-packet's cache of
// 65,536 id Buffers (packet-numbers.ts). The broker runs in this test's thread (MQTT_BROKER_THREAD
// off) so that its copy of mqtt-packet is the one this test reads. The switch is one per process
// and an mqtt.js client given `writeCache: false` turns it off too: the unit's client here keeps
// mqtt.js's default, so that only the server's modules can have turned it off.
import { createRequire } from 'node:module';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../testing/start-server.js';

// mqtt-packet's own cache, the object its writer fills on the first write when the cache is on.
const { cache } = createRequire(import.meta.url)('mqtt-packet/numbers.js') as { cache: Record<number, Buffer> };

describe("the broker's packet ids", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ MQTT_BROKER_THREAD: 'off' });
  });
  afterAll(async () => server?.close());

  it('are written without the cache from the moment the broker is loaded', () => {
    expect(mqttPacket.writeToStream.cacheNumbers).toBe(false);
    expect(Object.keys(cache)).toHaveLength(0);
  });

  it('still number a QoS 1 delivery, and the cache stays empty', async () => {
    const { body } = await server.admin.post<{ secret: string }>('/api/units', { id: 'cum-ids', name: 'Cụm' });
    const unit = await mqtt.connectAsync(server.mqttUrl, {
      clientId: 'loa-unit-cum-ids',
      username: 'cum-ids',
      password: body.secret,
      reconnectPeriod: 0,
    });
    try {
      const got = new Promise<mqtt.IPublishPacket>((resolve) =>
        unit.once('message', (_t, _p, packet) => resolve(packet)),
      );
      await unit.subscribeAsync('loa/v1/units/cum-ids/cmd', { qos: 1 });
      await server.app.bus.publish('loa/v1/units/cum-ids/cmd', '{"type":"ping"}', { qos: 1 });
      const packet = await got;
      // The broker wrote this packet's id: with the cache on, it is now full.
      expect(packet.qos).toBe(1);
      expect(packet.messageId).toBeGreaterThan(0);
      expect(Object.keys(cache)).toHaveLength(0);
    } finally {
      await unit.endAsync(true);
    }
  });
});
