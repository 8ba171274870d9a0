// The sliced fan-out (issue #10): every delivery made, each listener's in order, a budget per turn
// of the loop; then the embedded broker with it, with real MQTT clients, losing nothing.
import mqemitter from 'mqemitter';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { SERVER_USERNAME, startEmbeddedBroker, type EmbeddedBroker } from './embedded.js';
import { SlicedEmitter, embeddedFanOut, type Listener, type Message, type MqEmitter } from './sliced-emitter.js';
import { waitFor } from '../testing/wait.js';

const turn = () => new Promise((r) => setImmediate(r));
const inner = () => mqemitter({ concurrency: 100, matchEmptyLevels: true }) as unknown as MqEmitter;
/**
 * A budget of `units` per turn that does not adapt; the slice's time bound is set out of reach, so
 * that the count alone decides (a test runner busy beside it once cut a 5-ms slice short).
 */
const fixed = (units: number) => ({ startUnits: units, minUnits: units, maxUnits: units, sliceMs: 60_000 });
const on = (e: MqEmitter, topic: string, l: Listener) => new Promise<void>((r) => e.on(topic, l, r));

/** A listener that records what it got and answers at once, as aedes does a turn later. */
function recorder(log: string[], name: string): Listener {
  return (m, done) => {
    log.push(`${name}:${String(m.n)}`);
    setImmediate(done);
  };
}

describe('SlicedEmitter', () => {
  it('delivers a small fan-out at once, as the emitter it wraps', async () => {
    const e = new SlicedEmitter(inner());
    const log: string[] = [];
    await on(e, 'a/+', recorder(log, 'x'));
    await on(e, 'a/b', recorder(log, 'y'));
    let acked = false;
    e.emit({ topic: 'a/b', n: 1 }, () => (acked = true));
    expect(log.sort()).toEqual(['x:1', 'y:1']);
    await waitFor('the emit callback', () => acked || undefined, 2000, 5);
    expect(e.stats).toMatchObject({ direct: 2, queued: 0 });
  });

  it('starts at most its budget of deliveries per turn, and every one in the end', async () => {
    const e = new SlicedEmitter(inner(), { budget: fixed(10) });
    const log: string[] = [];
    for (let i = 0; i < 95; i++) await on(e, 't', recorder(log, `l${i}`));
    let acked = false;
    e.emit({ topic: 't', n: 1 }, () => (acked = true));
    expect(log).toHaveLength(10);
    await turn();
    expect(log).toHaveLength(20);
    while (!acked) await turn();
    expect(new Set(log).size).toBe(95);
    expect(e.stats.slices).toBe(9);
  });

  it('counts a unit per 16 KiB of payload; one delivery alone over the budget still goes, one per turn', async () => {
    const e = new SlicedEmitter(inner(), { budget: fixed(8) });
    const got: number[] = [];
    for (let i = 0; i < 6; i++) await on(e, 'c', (_m, done) => (got.push(i), setImmediate(done)));
    e.emit({ topic: 'c', payload: Buffer.alloc(32 * 1024) }); // 3 units each
    expect(got).toHaveLength(2);
    await turn();
    expect(got).toHaveLength(4);
    await turn();
    await turn();
    expect(got).toHaveLength(6);
    e.emit({ topic: 'c', payload: Buffer.alloc(200 * 1024) }); // 13 units
    for (let i = 0; i < 6; i++) await turn();
    expect(got).toHaveLength(12);
    expect(e.stats.slices).toBeGreaterThanOrEqual(2 + 5);
  });

  it('halves its budget after a turn much longer than the goal, and grows it while turns are short', async () => {
    const slow = new SlicedEmitter(inner(), { budget: { startUnits: 64, minUnits: 4, turnMs: 5 } });
    // Each delivery's write takes 1 ms of the next turn: a slice of 64 makes that turn 64 ms long.
    for (let i = 0; i < 200; i++)
      await on(slow, 's', (_m, done) =>
        setImmediate(() => {
          const until = performance.now() + 1;
          while (performance.now() < until);
          done();
        }),
      );
    let written = false;
    slow.emit({ topic: 's' }, () => (written = true));
    await turn();
    await turn();
    expect(slow.stats.units).toBeLessThanOrEqual(32);
    while (!written) await turn();

    const quick = new SlicedEmitter(inner(), { budget: { startUnits: 8, turnMs: 1000 } });
    for (let i = 0; i < 100; i++) await on(quick, 'q', recorder([], `q${i}`));
    quick.emit({ topic: 'q' });
    await turn();
    await turn();
    await turn();
    expect(quick.stats.units).toBeGreaterThan(8);
  });

  it("keeps each listener's messages in order, and serves lane 0 before queued lane 1", async () => {
    const e = new SlicedEmitter(inner(), {
      budget: fixed(4),
      lanes: 2,
      laneOf: (m: Message) => (m.topic.startsWith('up/') ? 0 : 1),
    });
    const log: string[] = [];
    for (let i = 0; i < 8; i++) await on(e, 'down/#', recorder(log, `unit${i}`));
    await on(e, 'up/#', recorder(log, 'server'));
    for (let n = 1; n <= 3; n++) e.emit({ topic: 'down/chunk', n });
    e.emit({ topic: 'up/status', n: 4 });
    e.emit({ topic: 'up/status', n: 5 });
    await turn();
    // The first turn started 4 of the 24 down deliveries; the ups then went first.
    expect(log.slice(4, 6)).toEqual(['server:4', 'server:5']);
    for (let i = 0; i < 10; i++) await turn();
    expect(log).toHaveLength(26);
    for (let i = 0; i < 8; i++) {
      expect(log.filter((l) => l.startsWith(`unit${i}:`))).toEqual([`unit${i}:1`, `unit${i}:2`, `unit${i}:3`]);
    }
  });

  it('stops delivering to a removed listener, and leaves the broker’s $SYS listeners alone', async () => {
    const plain = inner();
    const e = new SlicedEmitter(plain);
    const log: string[] = [];
    const l = recorder(log, 'l');
    await on(e, 'a', l);
    await new Promise<void>((r) => e.removeListener('a', l, r));
    e.emit({ topic: 'a', n: 1 });
    const sys: Listener = (m, done) => (log.push(`sys:${String(m.n)}`), done());
    await on(e, '$SYS/+/heartbeat', sys);
    // Registered as it is: the inner emitter can remove it by the original function.
    await new Promise<void>((r) => plain.removeListener('$SYS/+/heartbeat', sys, r));
    e.emit({ topic: '$SYS/x/heartbeat', n: 2 });
    await turn();
    expect(log).toEqual([]);
  });
});

describe('the embedded broker with a sliced fan-out', () => {
  let broker: EmbeddedBroker | undefined;
  const clients: MqttClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await broker?.close();
  });

  const connect = (username: string, secret: string) =>
    mqtt.connectAsync(`mqtt://127.0.0.1:${broker!.port}`, {
      clientId: username === SERVER_USERNAME ? 'loa-server-test' : `loa-unit-${username}`,
      username,
      password: secret,
      reconnectPeriod: 0,
    });

  it('gets every plan and chunk to every unit in order, and every status to the server, none dropped', async () => {
    // A tiny budget, so that almost everything waits in the queues and lanes overtake each other.
    broker = await startEmbeddedBroker({
      port: 0,
      host: '127.0.0.1',
      verifyServer: (p) => p === 'server-secret',
      verifyUnit: (_u, s) => s === 'unit-secret',
      log: { info: () => undefined, warn: () => undefined },
      mq: embeddedFanOut(fixed(3)),
    });
    const server = await connect(SERVER_USERNAME, 'server-secret');
    clients.push(server);
    const statuses: string[] = [];
    server.on('message', (topic, payload) => statuses.push(`${topic.split('/')[3]}:${payload.toString()}`));
    await server.subscribeAsync('loa/v1/units/+/status', { qos: 1 });
    const units = Array.from({ length: 12 }, (_, i) => `unit-${String(i).padStart(2, '0')}`);
    const received = new Map<string, string[]>(units.map((u) => [u, []]));
    const sha = 'ab'.repeat(32);
    for (const u of units) {
      const c = await connect(u, 'unit-secret');
      clients.push(c);
      c.on('message', (topic, payload) =>
        received
          .get(u)!
          .push(
            topic.includes('/media/') ? `chunk${topic.split('/')[4]}:${payload.length}` : `plan:${payload.toString()}`,
          ),
      );
      await c.subscribeAsync([`loa/v1/units/${u}/plan`, `loa/v1/media/${sha}/+/+`], { qos: 1 });
    }
    // The control plane interleaves plans and 100 KiB chunks; meanwhile every unit reports.
    const sent: Promise<unknown>[] = [];
    for (let round = 0; round < 3; round++) {
      for (const u of units) sent.push(server.publishAsync(`loa/v1/units/${u}/plan`, `v${round}`, { qos: 1 }));
      sent.push(server.publishAsync(`loa/v1/media/${sha}/${round}/3`, Buffer.alloc(100 * 1024, round), { qos: 1 }));
      for (const [i, c] of clients.slice(1).entries())
        sent.push(c.publishAsync(`loa/v1/units/${units[i]}/status`, `s${round}`, { qos: 1 }));
    }
    await Promise.all(sent);
    const want = [
      'plan:v0',
      `chunk0:${100 * 1024}`,
      'plan:v1',
      `chunk1:${100 * 1024}`,
      'plan:v2',
      `chunk2:${100 * 1024}`,
    ];
    await waitFor('every message at every unit', () =>
      units.every((u) => received.get(u)!.length >= 6) ? true : undefined,
    );
    for (const u of units) expect(received.get(u)).toEqual(want);
    await waitFor('every status at the server', () => (statuses.length >= 36 ? true : undefined));
    for (const u of units)
      expect(statuses.filter((s) => s.startsWith(`${u}:`))).toEqual([`${u}:s0`, `${u}:s1`, `${u}:s2`]);
  });
});
