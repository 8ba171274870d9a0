// The embedded broker's ACL tried from outside with the real mosquitto_pub / mosquitto_sub clients
// and a valid unit credential (issue #4): every forbidden publish is dropped (and the connection
// closed), every forbidden subscription refused; the allowed ones work, so the test can fail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AedesPublishPacket } from 'aedes';
import mqtt from 'mqtt';
import { startServer, type TestServer } from '../testing/start-server.js';
import {
  allowedPublishes,
  allowedSubscriptions,
  forbiddenPublishes,
  forbiddenSubscriptions,
  mosquittoPub,
  mosquittoSubGranted,
  type Credential,
} from '../testing/mqtt-probe.js';
import { waitFor } from '../testing/wait.js';
import type { InlineBroker } from './local-broker.js';

describe('the embedded broker against a stolen unit credential', () => {
  let server: TestServer;
  let a: Credential;
  let bSecret: string;
  const seen: Array<{ topic: string; payload: string }> = [];

  beforeAll(async () => {
    // The broker in the server's thread, so the test can look inside it (the same embedded.ts runs
    // in the broker's thread by default).
    server = await startServer({ MQTT_BROKER_THREAD: 'off' });
    const res = await server.admin.post<{ secret: string }>('/api/units', { id: 'thon-a', name: 'Thôn A' });
    bSecret = (await server.admin.post<{ secret: string }>('/api/units', { id: 'thon-b', name: 'Thôn B' })).body.secret;
    a = { port: server.mqttPort, username: 'thon-a', password: res.body.secret };
    // Inside the broker: everything that passed its checks, whoever it was for, on any topic
    // (`other/topic` too).
    (server.app.embeddedBroker as InlineBroker).aedes.subscribe(
      '#',
      (packet: AedesPublishPacket, cb: () => void) => {
        seen.push({ topic: packet.topic, payload: packet.payload.toString() });
        cb();
      },
      () => undefined,
    );
  });
  afterAll(async () => server?.close());

  it('delivers none of its forbidden publishes, a forged plan among them', async () => {
    for (const topic of forbiddenPublishes('thon-a', 'thon-b')) {
      // The credential was accepted and the publish sent: what stops it is the broker's rule.
      const r = await mosquittoPub(a, topic, `forged ${topic}`);
      expect(r.sent, `${topic}: ${r.output}`).toBe(true);
    }
    for (const topic of allowedPublishes('thon-a')) {
      const r = await mosquittoPub(a, topic, `allowed ${topic}`);
      expect(r.code, `${topic}: ${r.output}`).toBe(0);
    }
    await waitFor('the allowed publishes', () =>
      allowedPublishes('thon-a').every((t) => seen.some((m) => m.payload === `allowed ${t}`)) ? true : undefined,
    );
    expect(seen.filter((m) => m.payload.startsWith('forged')).map((m) => m.topic)).toEqual([]);
    // The retained plan thon-b gets is still the server's own, signed one.
    const b = await mqtt.connectAsync(server.mqttUrl, {
      username: 'thon-b',
      password: bSecret,
      clientId: 'loa-unit-thon-b',
      reconnectPeriod: 0,
    });
    const plan = new Promise<string>((resolve) => b.once('message', (_t, p) => resolve(p.toString())));
    await b.subscribeAsync('loa/v1/units/thon-b/plan', { qos: 1 });
    expect(await plan).toBe(server.app.services.plans.envelope('thon-b'));
    await b.endAsync();
  });

  it('refuses every forbidden subscription, and grants the allowed ones', async () => {
    const wrong: string[] = [];
    for (const filter of forbiddenSubscriptions('thon-a', 'thon-b')) {
      const r = await mosquittoSubGranted(a, filter);
      if (r.granted) wrong.push(`${filter} granted (${r.output})`);
    }
    for (const filter of allowedSubscriptions('thon-a')) {
      const r = await mosquittoSubGranted(a, filter);
      if (!r.granted) wrong.push(`${filter} refused (${r.output})`);
    }
    expect(wrong).toEqual([]);
  });

  it('refuses the credential under another unit’s name or client id', async () => {
    const asB = await mosquittoPub({ ...a, username: 'thon-b' }, 'loa/v1/units/thon-b/status', 'x');
    expect(asB.output).toMatch(/not authori[sz]ed|refused|bad user/i);
    const otherId = await mosquittoPub({ ...a, clientId: 'loa-unit-thon-b' }, 'loa/v1/units/thon-a/status', 'x');
    expect(otherId.output).toMatch(/not authori[sz]ed|refused|bad user/i);
  });
});
