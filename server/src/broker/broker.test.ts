// The embedded broker with real MQTT clients: who gets in, and what a unit's credential can do.
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../testing/start-server.js';

describe('the embedded broker', () => {
  let server: TestServer;
  let a: { id: string; secret: string };
  let b: { id: string; secret: string };

  const connect = (opts: mqtt.IClientOptions) =>
    new Promise<MqttClient>((resolve, reject) => {
      const c = mqtt.connect(server.mqttUrl, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
      c.once('connect', () => resolve(c));
      c.once('error', (err) => {
        c.end(true);
        reject(err);
      });
    });

  beforeAll(async () => {
    server = await startServer();
    for (const id of ['unit-a', 'unit-b']) {
      const res = await server.admin.post<{ unit: { id: string }; secret: string }>('/api/units', { id, name: id });
      if (id === 'unit-a') a = { id, secret: res.body.secret };
      else b = { id, secret: res.body.secret };
    }
  });
  afterAll(async () => server?.close());

  it('refuses anonymous clients, wrong secrets and a unit using another client id', async () => {
    await expect(connect({ clientId: 'x' })).rejects.toThrow(/username or password/i);
    await expect(connect({ clientId: `loa-unit-${a.id}`, username: a.id, password: 'nope' })).rejects.toThrow(
      /username or password/i,
    );
    await expect(connect({ clientId: `loa-unit-${b.id}`, username: a.id, password: a.secret })).rejects.toThrow(
      /username or password/i,
    );
    const ok = await connect({ clientId: `loa-unit-${a.id}`, username: a.id, password: a.secret });
    await ok.endAsync();
  });

  it("does not deliver a unit's forbidden publishes, nor let it read another unit's plan", async () => {
    const unitA = await connect({ clientId: `loa-unit-${a.id}`, username: a.id, password: a.secret });
    const unitB = await connect({ clientId: `loa-unit-${b.id}`, username: b.id, password: b.secret });
    const seenByB: string[] = [];
    unitB.on('message', (t) => seenByB.push(t));
    await unitB.subscribeAsync(`loa/v1/units/${b.id}/plan`, { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    seenByB.length = 0; // the server's own retained plan for B is not what this test is about
    // Refused: the broker answers SUBACK 0x80, which mqtt.js reports as a subscribe error.
    await expect(unitA.subscribeAsync(`loa/v1/units/${b.id}/plan`, { qos: 1 })).rejects.toThrow(/Subscribe error/);
    // A forged plan for unit B, published with unit A's credential, never reaches B.
    await unitA.publishAsync(`loa/v1/units/${b.id}/plan`, '{"body":"{}","sig":"","kid":""}', { qos: 0 });
    await new Promise((r) => setTimeout(r, 300));
    expect(seenByB).toEqual([]);
    await unitA.endAsync();
    await unitB.endAsync();
  });
});
