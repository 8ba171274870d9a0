import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'aedes';
import { topics } from '@loa/shared';
import { memoryLogger } from '../log.js';
import { startBroker, type TestBroker } from '../testing/broker.js';
import { waitFor } from '../testing/fake-server.js';
import { MqttLink } from './link.js';
import { topicMatches } from './topic-match.js';

const UNIT = 'thon-link-1';
const SECRET = 'right';
let broker: TestBroker;

function link(secret: string, log = memoryLogger()) {
  return new MqttLink({
    url: broker.url,
    unit: UNIT,
    secret,
    will: { topic: topics.status(UNIT), payload: '{"online":false}' },
    log: log.child('mqtt'),
    minBackoffMs: 50,
    maxBackoffMs: 200,
  });
}

async function retainedStatus(): Promise<unknown> {
  const c = await broker.serverClient();
  const got = new Promise<unknown>((resolve) => c.once('message', (_t, p) => resolve(JSON.parse(p.toString('utf8')))));
  await c.subscribeAsync(topics.status(UNIT));
  const value = await got;
  await c.endAsync(true);
  return value;
}

beforeAll(async () => {
  broker = await startBroker({ [UNIT]: SECRET });
});
afterAll(() => broker.close());

describe('topicMatches', () => {
  it('follows MQTT filter rules', () => {
    expect(topicMatches('loa/v1/media/x/+/+', 'loa/v1/media/x/0/3')).toBe(true);
    expect(topicMatches('loa/v1/media/x/+/+', 'loa/v1/media/x/want')).toBe(false);
    expect(topicMatches('loa/v1/#', 'loa/v1/units/a/plan')).toBe(true);
    expect(topicMatches('loa/v1/units/a/cmd', 'loa/v1/units/a/cmd/ack')).toBe(false);
  });
});

describe('MqttLink', () => {
  it('logs a refused secret clearly and keeps retrying with a backoff, without crashing', async () => {
    const log = memoryLogger();
    const l = link('wrong', log);
    const before = broker.attempts.get(UNIT) ?? 0;
    l.start();
    await waitFor('three attempts', () => (broker.attempts.get(UNIT) ?? 0) - before >= 3, 5000);
    await l.stop();
    expect(log.lines).toContain(`agent:mqtt the broker refused unit ${UNIT}: bad username or password`);
    expect(log.lines.join('\n')).not.toContain('wrong');
  });

  it('refuses to publish to a wildcard topic', async () => {
    const l = link(SECRET);
    l.start();
    await waitFor('connected', () => l.connected);
    await expect(l.publish('loa/v1/units/+/status', 'x', { qos: 0 })).rejects.toThrow(/wildcard/);
    await expect(l.publish('loa/v1/#', 'x', { qos: 0 })).rejects.toThrow(/wildcard/);
    await l.stop();
  });

  it('leaves {online:false} retained through its will when the link dies, and reconnects', async () => {
    const l = link(SECRET);
    let connects = 0;
    l.onConnect(async () => {
      connects++;
      await l.publish(topics.status(UNIT), '{"online":true}', { qos: 1, retain: true });
    });
    let brokerSide: Client | undefined;
    broker.broker.on('clientReady', (c) => {
      if (c.id === `loa-unit-${UNIT}`) brokerSide = c;
    });
    l.start();
    await waitFor('connected', () => connects === 1 && brokerSide);
    expect(await retainedStatus()).toEqual({ online: true });
    const watcher = await broker.serverClient();
    const seen: unknown[] = [];
    watcher.on('message', (_t, p) => seen.push(JSON.parse(p.toString('utf8'))));
    await watcher.subscribeAsync(topics.status(UNIT), { qos: 1 });
    // A dead 4G link: the broker drops the connection without a DISCONNECT.
    brokerSide!.conn.destroy();
    await waitFor('reconnected', () => connects === 2, 5000);
    await waitFor('will then online', () => seen.length >= 3);
    expect(seen).toEqual([{ online: true }, { online: false }, { online: true }]);
    await l.stop({ topic: topics.status(UNIT), payload: '{"online":false}' });
    expect(await retainedStatus()).toEqual({ online: false });
  });

  // Issue #10, the flapping-link drill: mqtt.js keeps a QoS 1 publish whose connection fell before
  // its PUBACK, and some it never sends again nor settles. The event publisher awaited one and
  // never sent an event again; every publish must settle, as not sent if the link fell.
  it('settles every publish when the link falls under it, as not sent, and publishes after', async () => {
    const l = link(SECRET);
    let brokerSide: Client | undefined;
    broker.broker.on('clientReady', (c) => {
      if (c.id === `loa-unit-${UNIT}`) brokerSide = c;
    });
    l.start();
    const outcomes: Array<Promise<boolean>> = [];
    for (let round = 0; round < 10; round++) {
      await waitFor('connected', () => l.connected && brokerSide?.connected, 5000);
      for (let i = 0; i < 20; i++) outcomes.push(l.publish(topics.events(UNIT), `{"n":${i}}`, { qos: 1 }));
      brokerSide!.conn.destroy();
      brokerSide = undefined;
    }
    const settled = new Set<number>();
    outcomes.forEach((p, i) => void p.then(() => settled.add(i)));
    await waitFor('every publish settled', () => settled.size === outcomes.length, 3000).catch(() => undefined);
    expect(outcomes.length - settled.size, 'publishes never settled').toBe(0);
    expect((await Promise.all(outcomes)).includes(false)).toBe(true);
    await waitFor('connected again', () => l.connected, 5000);
    expect(await l.publish(topics.events(UNIT), '{"n":"after"}', { qos: 1 })).toBe(true);
    await l.stop();
  });
});
