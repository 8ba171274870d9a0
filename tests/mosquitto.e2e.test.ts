// The external-broker mode (DESIGN §8, issue #4) against a real Mosquitto configured only from
// `npm run broker:export`: the server signs in with its own credentials; a unit's credential gets
// exactly what the embedded broker allows (tried with mosquitto_pub / mosquitto_sub); a revoked unit
// is disconnected as soon as the server rewrites the files and Mosquitto reloads them.
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '@loa/shared';
import { topicMatches, unitPatterns } from '../server/src/broker/acl.js';
import { addObserver, startServerWithMosquitto, type MosquittoServer } from './support/mosquitto.js';
import { waitFor } from './support/wait.js';
import {
  allowedPublishes,
  forbiddenPublishes,
  forbiddenSubscriptions,
  mosquittoPub,
  mosquittoSubscribeAll,
  watcher,
  type Credential,
} from '../server/src/testing/mqtt-probe.js';

describe('a real Mosquitto with the exported configuration', () => {
  let env: MosquittoServer;
  let a: Credential;
  let b: Credential;
  let observer: { username: string; password: string };

  beforeAll(async () => {
    env = await startServerWithMosquitto();
    const { admin } = env.server;
    for (const id of ['thon-a', 'thon-b']) {
      const res = await admin.post<{ secret: string }>('/api/units', { id, name: id });
      expect(res.status).toBe(201);
      const cred = { port: env.mosquitto.port, username: id, password: res.body.secret };
      if (id === 'thon-a') a = cred;
      else b = cred;
    }
    observer = await addObserver(env.mosquitto, ['thon-a', 'thon-b']);
  });
  afterAll(async () => env?.stop());

  it('has the server connected with its own credentials, and no one anonymous', async () => {
    expect((await env.server.admin.get<{ mqttConnected: boolean; broker: string }>('/api/health')).body).toMatchObject({
      broker: 'external',
      mqttConnected: true,
    });
    expect(env.server.app.embeddedBroker).toBeUndefined();
    await expect(mqtt.connectAsync(env.mosquitto.url, { clientId: 'anonymous', reconnectPeriod: 0 })).rejects.toThrow(
      /not authori[sz]ed/i,
    );
    await expect(
      mqtt.connectAsync(env.mosquitto.url, { username: 'thon-a', password: 'wrong', reconnectPeriod: 0 }),
    ).rejects.toThrow(/not authori[sz]ed/i);
    // The server's plan for each unit is published there, retained.
    const plan = await waitFor('the plan of thon-a', () => env.server.app.services.plans.envelope('thon-a'));
    const w = await watcher(env.mosquitto.url, observer.username, observer.password, { filter: topics.plan('thon-a') });
    await waitFor('the retained plan', () => (w.seen.some((m) => m.retain && m.payload === plan) ? true : undefined));
    await w.close();
  });

  it('delivers none of a unit credential’s forbidden publishes, and the allowed ones', async () => {
    // Every topic, not only the protocol's: `other/topic` is among the forbidden ones.
    const w = await watcher(env.mosquitto.url, observer.username, observer.password, { filter: '#' });
    for (const topic of forbiddenPublishes('thon-a', 'thon-b')) {
      // The credential was accepted and the publish sent: what stops it is Mosquitto's ACL.
      const r = await mosquittoPub(a, topic, `forged ${topic}`);
      expect(r.sent, `${topic}: ${r.output}`).toBe(true);
    }
    for (const topic of allowedPublishes('thon-a')) {
      const r = await mosquittoPub(a, topic, `allowed ${topic}`);
      expect(r.code, `${topic}: ${r.output}`).toBe(0);
    }
    await waitFor('the allowed publishes', () =>
      allowedPublishes('thon-a').every((t) => w.seen.some((m) => m.payload === `allowed ${t}`)) ? true : undefined,
    );
    await w.close();
    expect(w.seen.filter((m) => m.payload.startsWith('forged')).map((m) => m.topic)).toEqual([]);
  });

  // Mosquitto's ACL file grants a subscription and filters each message as it is delivered (aedes
  // refuses the subscription itself): what must hold is that nothing forbidden is ever read.
  it('never lets a unit credential read what is not its own, whatever it subscribes to', async () => {
    const sub = mosquittoSubscribeAll(a, forbiddenSubscriptions('thon-a', 'thon-b'), 4);
    await sub.ready;
    const bait = [
      ...['plan', 'cmd', 'events/ack', 'time/reply', 'status', 'telemetry', 'events', 'cmd/ack', 'time'].map(
        (s) => `loa/v1/units/thon-b/${s}`,
      ),
      ...['status', 'telemetry', 'events', 'cmd/ack', 'time'].map((s) => `loa/v1/units/thon-a/${s}`),
      `loa/v1/media/${'cd'.repeat(32)}/want`,
      // Its own: read through the broad filters, and the proof the subscriber was listening.
      'loa/v1/units/thon-a/cmd',
    ];
    for (const topic of bait) await env.server.app.bus.publish(topic, `bait`, { qos: 1 });
    const received = (await sub.done).filter((l) => l.endsWith(' bait')).map((l) => l.slice(0, -' bait'.length));
    expect(received).toContain('loa/v1/units/thon-a/cmd');
    const readable = unitPatterns('subscribe', 'thon-a');
    expect(received.filter((t) => !readable.some((p) => topicMatches(p, t)))).toEqual([]);
  });

  it('disconnects a revoked unit as soon as the server revokes it, and lets a rotated secret in', async () => {
    const unit = await mqtt.connectAsync(env.mosquitto.url, {
      username: b.username,
      password: b.password,
      clientId: 'loa-unit-thon-b',
      reconnectPeriod: 0,
    });
    const closed = new Promise<number>((r) => unit.once('close', () => r(Date.now())));
    const t0 = Date.now();
    const tech = await env.server.userClient('technician');
    const revoked = await tech.post<{ brokerApplied: boolean }>(`/api/units/${b.username}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.brokerApplied).toBe(true); // the server keeps Mosquitto's files and reloads it
    expect((await closed) - t0).toBeLessThan(3000);
    unit.end(true);
    await expect(
      mqtt.connectAsync(env.mosquitto.url, { username: b.username, password: b.password, reconnectPeriod: 0 }),
    ).rejects.toThrow(/not authori[sz]ed/i);
    const rotated = await tech.post<{ secret: string }>(`/api/units/${b.username}/secret`);
    expect(rotated.status).toBe(200);
    const back = await mqtt.connectAsync(env.mosquitto.url, {
      username: b.username,
      password: rotated.body.secret,
      reconnectPeriod: 0,
    });
    await back.endAsync();
  });
});
