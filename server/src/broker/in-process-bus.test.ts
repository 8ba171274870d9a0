// The server's bus on its embedded broker without a socket (in-process-bus.ts), with real unit
// clients on the broker: what units publish reaches the server's handlers, what the server
// publishes reaches units (retained too), and a handler's bug or a closed bus loses nothing else.
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { topics, type ParsedTopic } from '@loa/shared';
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded.js';
import { inProcessBus } from './in-process-bus.js';
import { embeddedFanOut } from './sliced-emitter.js';
import type { Bus } from './bus.js';
import { waitFor } from '../testing/wait.js';

const log = pino({ level: 'silent' });
const errors: unknown[] = [];
const errorLog = { error: (obj: object) => errors.push(obj) };
let broker: EmbeddedBroker;
let bus: Bus;
const units: MqttClient[] = [];

const unit = async (id: string) => {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
    clientId: `loa-unit-${id}`,
    username: id,
    password: `secret-${id}`,
    reconnectPeriod: 0,
  });
  units.push(c);
  return c;
};

beforeAll(async () => {
  broker = await startEmbeddedBroker({
    port: 0,
    host: '127.0.0.1',
    verifyServer: () => false, // no client may sign in as the server: the bus needs no connection
    verifyUnit: (id, secret) => secret === `secret-${id}`,
    log,
  });
  bus = await inProcessBus(broker.broker, errorLog);
});
afterAll(async () => {
  await Promise.all(units.map((u) => u.endAsync(true)));
  await bus?.close();
  await broker?.close();
});

describe('the in-process bus', () => {
  it("hands the server each unit's messages by kind, and no other", async () => {
    const seen: Array<[string, string]> = [];
    bus.on('unit:telemetry', (t: ParsedTopic, payload) => {
      if (t.kind === 'unit') seen.push([t.unit, payload.toString()]);
    });
    const a = await unit('thon-a');
    await a.publishAsync(topics.telemetry('thon-a'), '{"n":1}', { qos: 0 });
    await a.publishAsync(topics.telemetry('thon-a'), '{"n":2}', { qos: 1 });
    // The server holds no connection of its own: the unit is the broker's only client.
    expect(Object.keys((broker.broker as unknown as { clients: object }).clients)).toEqual(['loa-unit-thon-a']);
    // Refused by the ACL (another unit's topic; the broker then drops the unit): never reaches the server.
    await a.publishAsync(topics.telemetry('thon-b'), '{"n":3}', { qos: 0 });
    await waitFor('two samples', () => (seen.length >= 2 ? true : undefined));
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([
      ['thon-a', '{"n":1}'],
      ['thon-a', '{"n":2}'],
    ]);
    expect(bus.connected).toBe(true);
  });

  it('publishes to units, and a retained plan reaches a unit that connects later', async () => {
    await bus.publish(topics.plan('thon-c'), '{"plan":1}', { qos: 1, retain: true });
    const c = await unit('thon-c');
    const got: string[] = [];
    c.on('message', (_t, p) => got.push(p.toString()));
    await c.subscribeAsync(topics.plan('thon-c'), { qos: 1 });
    await waitFor('the retained plan', () => (got.length === 1 ? true : undefined));
    await bus.publish(topics.plan('thon-c'), Buffer.from('{"plan":2}'), { qos: 1, retain: true });
    await waitFor('the next plan', () => (got.length === 2 ? true : undefined));
    expect(got).toEqual(['{"plan":1}', '{"plan":2}']);
  });

  it("keeps delivering after a handler's bug, and logs it", async () => {
    const statuses: string[] = [];
    bus.on('unit:status', (_t, payload) => {
      if (payload.toString() === 'boom') throw new Error('a bug');
      statuses.push(payload.toString());
    });
    const d = await unit('thon-d');
    await d.publishAsync(topics.status('thon-d'), 'boom', { qos: 1 });
    await d.publishAsync(topics.status('thon-d'), '{"online":true}', { qos: 1 });
    await waitFor('the good status', () => (statuses.length === 1 ? true : undefined));
    expect(statuses).toEqual(['{"online":true}']);
    expect(errors).toHaveLength(1);
  });

  it('takes a burst of thousands of messages without growing the stack', async () => {
    // The broker's emitter holds at most 100 messages in flight and starts the next one when one
    // completes; a delivery to the server completes at once, so a queue of thousands behind slow
    // deliveries once completed in one recursion and overflowed the stack (5,000 units at the
    // fleet benchmark, where the fan-out's budget per turn had grown large). A broker of its own,
    // with a budget that large from the start.
    const big = await startEmbeddedBroker({
      port: 0,
      host: '127.0.0.1',
      verifyServer: () => false,
      verifyUnit: () => false,
      log,
      mq: embeddedFanOut({ startUnits: 100_000, minUnits: 100_000, maxUnits: 100_000, sliceMs: 10_000 }),
    });
    const own = await inProcessBus(big.broker, errorLog);
    try {
      let n = 0;
      own.on('unit:time', () => n++);
      // 100 messages whose one delivery takes a while fill the emitter's slots...
      await new Promise<void>((r) =>
        big.broker.subscribe('loa/v1/slow/#', ((_p: unknown, cb: () => void) => setTimeout(cb, 100)) as never, r),
      );
      const slow = Array.from(
        { length: 100 },
        () =>
          new Promise<void>((r) =>
            big.broker.publish(
              {
                cmd: 'publish',
                topic: 'loa/v1/slow/x',
                payload: Buffer.alloc(1),
                qos: 0,
                retain: false,
                dup: false,
              } as never,
              () => r(),
            ),
          ),
      );
      // ...and the burst queues behind them.
      const burst = Array.from({ length: 20_000 }, (_, i) =>
        own.publish(topics.time('thon-f'), `{"t0":${i}}`, { qos: 0 }),
      );
      await Promise.all([...slow, ...burst]);
      expect(n).toBe(20_000);
    } finally {
      await own.close();
      await big.close();
    }
  });

  it('refuses to publish once closed, and hands nothing more to the server', async () => {
    const e = await unit('thon-e');
    const seen: string[] = [];
    bus.on('unit:events', (_t, payload) => seen.push(payload.toString()));
    await bus.close();
    expect(bus.connected).toBe(false);
    await expect(bus.publish(topics.plan('thon-e'), '{}')).rejects.toThrow(/closed/);
    await e.publishAsync(topics.events('thon-e'), '{"events":[]}', { qos: 1 });
    await new Promise((r) => setTimeout(r, 200));
    expect(seen).toEqual([]);
  });
});
