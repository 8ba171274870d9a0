// The embedded broker in its worker thread (broker-thread.ts), with real unit clients: the control
// plane checks their secrets, gets what they publish to it and publishes to them; a unit's wants
// come with its id; a unit can be cut off; a port in use is said plainly; a thread that dies is
// started again on the same port, and the bus says so, so that the retained plans come back.
import { createServer } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type ParsedTopic } from '@loa/shared';
import { waitFor } from '../../testing/wait.js';
import { startBrokerThread, type BrokerThread } from './broker-thread.js';

const logged: Array<{ level: string; msg: string }> = [];
const log = {
  info: (_o: object, msg: string) => logged.push({ level: 'info', msg }),
  warn: (_o: object, msg: string) => logged.push({ level: 'warn', msg }),
  error: (_o: object, msg: string) => logged.push({ level: 'error', msg }),
};
const checked: string[] = [];
let thread: BrokerThread;
const units: MqttClient[] = [];

const unit = async (id: string, secret = `secret-${id}`, reconnectPeriod = 0) => {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${thread.broker.port}`, {
    clientId: `loa-unit-${id}`,
    username: id,
    password: secret,
    reconnectPeriod,
  });
  units.push(c);
  return c;
};

beforeAll(async () => {
  thread = await startBrokerThread({
    port: 0,
    host: '127.0.0.1',
    verifyUnit: (id, secret) => {
      checked.push(id);
      return secret === `secret-${id}`;
    },
    log,
  });
});
afterAll(async () => {
  await Promise.all(units.map((u) => u.endAsync(true)));
  await thread?.bus.close();
  await thread?.broker.close();
});

describe('the embedded broker in its own thread', () => {
  it("checks a unit's secret here, and hands the server its messages by kind", async () => {
    const seen: Array<[string, string]> = [];
    thread.bus.on('unit:telemetry', (t: ParsedTopic, payload) => {
      if (t.kind === 'unit') seen.push([t.unit, payload.toString()]);
    });
    await expect(unit('thon-x', 'wrong')).rejects.toThrow(/not authorized|bad user/i);
    const a = await unit('thon-a');
    expect(checked).toEqual(['thon-x', 'thon-a']);
    await a.publishAsync(topics.telemetry('thon-a'), '{"n":1}', { qos: 1 });
    await a.publishAsync(topics.telemetry('thon-a'), Buffer.alloc(70_000, 7), { qos: 1 });
    await waitFor('two telemetry samples', () => (seen.length >= 2 ? true : undefined));
    expect(seen[0]).toEqual(['thon-a', '{"n":1}']);
    expect(seen[1]![1]).toBe(Buffer.alloc(70_000, 7).toString());
    await waitFor('the client count', () => (thread.broker.connectedClients === 1 ? true : undefined));
  });

  it("hands over a burst from many units whole, and each unit's messages in order", async () => {
    const got = new Map<string, number[]>();
    thread.bus.on('unit:events', (t: ParsedTopic, payload) => {
      if (t.kind === 'unit') got.set(t.unit, [...(got.get(t.unit) ?? []), Number(payload.toString())]);
    });
    const ids = Array.from({ length: 20 }, (_, i) => `thon-burst-${i}`);
    const clients = await Promise.all(ids.map((id) => unit(id)));
    await Promise.all(
      clients.map((c, i) =>
        Promise.all(
          Array.from({ length: 100 }, (_, n) => c.publishAsync(topics.events(ids[i]!), String(n), { qos: 1 })),
        ),
      ),
    );
    await waitFor('2,000 events', () => ([...got.values()].flat().length === 2000 ? true : undefined));
    for (const id of ids) expect(got.get(id)).toEqual(Array.from({ length: 100 }, (_, n) => n));
    await Promise.all(clients.map((c) => c.endAsync()));
  });

  it('publishes what the server sends, retained too, once the broker has it', async () => {
    await thread.bus.publish(topics.plan('thon-b'), 'plan v1', { retain: true });
    const b = await unit('thon-b');
    const got = new Promise<string>((resolve) => b.once('message', (_t, p) => resolve(p.toString())));
    await b.subscribeAsync(topics.plan('thon-b'), { qos: 1 });
    expect(await got).toBe('plan v1');
  });

  it('gives each want with the unit that sent it, and cuts a unit off when told', async () => {
    const wants: Array<[string, string, string]> = [];
    thread.broker.onWant((topic, payload, clientId) => wants.push([topic, payload.toString(), clientId]));
    const c = await unit('thon-c');
    const sha = 'a'.repeat(64);
    await c.publishAsync(`loa/v1/media/${sha}/want`, '{"unit":"thon-c","have":[]}', { qos: 1 });
    await waitFor('the want', () => (wants.length ? true : undefined));
    expect(wants).toEqual([[`loa/v1/media/${sha}/want`, '{"unit":"thon-c","have":[]}', 'loa-unit-thon-c']]);
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    thread.broker.disconnectUnit('thon-c');
    await closed;
  });

  it("reports its own loop's lag every 5 s", async () => {
    const lag = await waitFor('a lag window', () => thread.broker.loopLag, 12_000);
    expect(lag.p99Ms).toBeGreaterThan(0);
    expect(lag.maxMs).toBeGreaterThanOrEqual(lag.p99Ms);
  });

  it('says plainly that its port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    await expect(startBrokerThread({ port, host: '127.0.0.1', verifyUnit: () => true, log })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
    taken.close();
  });

  it('starts again on the same port when its thread dies, and the bus tells the server to publish again', async () => {
    let reconnects = 0;
    thread.bus.onReconnect?.(() => reconnects++);
    const port = thread.broker.port;
    const d = await unit('thon-d', 'secret-thon-d', 200);
    await expect(thread.bus.publish(topics.plan('thon-d'), 'before', { retain: true })).resolves.toBeUndefined();
    const old = thread.worker();
    await old.terminate();
    await expect(thread.bus.publish(topics.plan('thon-d'), 'while down')).rejects.toThrow(/not running/);
    await waitFor('the thread back', () => (reconnects === 1 ? true : undefined), 15_000);
    expect(thread.worker()).not.toBe(old);
    expect(thread.broker.port).toBe(port);
    expect(logged.some((l) => l.level === 'error' && /starting it again/.test(l.msg))).toBe(true);
    // The unit comes back by itself; what the server publishes again reaches it.
    await waitFor('the unit back', () => (d.connected ? true : undefined), 15_000);
    const got = new Promise<string>((resolve) => d.once('message', (_t, p) => resolve(p.toString())));
    await d.subscribeAsync(topics.plan('thon-d'), { qos: 1 });
    await thread.bus.publish(topics.plan('thon-d'), 'after', { retain: true });
    expect(await got).toBe('after');
  });
});
