// The broker's input gate (turn-gate.ts): at once when quiet; a burst spread over turns of the
// loop, in order, with timers firing between its slices; a failing piece reported, not fatal.
import mqtt from 'mqtt';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { topics } from '@loa/shared';
import { startEmbeddedBroker } from './embedded.js';
import { inProcessBus } from './in-process-bus.js';
import { TurnGate } from './turn-gate.js';

/** Keeps the CPU busy for `ms`, as handling a message does. */
const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

describe('the turn gate', () => {
  it('runs work at once while nothing waits and the turn has time left', () => {
    const gate = new TurnGate({ sliceMs: 5 });
    const ran: number[] = [];
    for (let i = 0; i < 3; i++) gate.run(() => ran.push(i));
    expect(ran).toEqual([0, 1, 2]);
    expect(gate.stats).toMatchObject({ direct: 3, queued: 0 });
  });

  it('spreads a burst over turns of the loop, in order, and lets timers fire between them', async () => {
    const gate = new TurnGate({ sliceMs: 5 });
    const ran: number[] = [];
    let timerFiredAt = -1;
    // A timer due at once: it can fire only between two turns' slices.
    setTimeout(() => (timerFiredAt = ran.length), 0);
    // 200 pieces of 0.5 ms: 100 ms of work, in one turn without the gate.
    for (let i = 0; i < 200; i++)
      gate.run(() => {
        busy(0.5);
        ran.push(i);
      });
    // Only the first turn's budget ran at once.
    expect(ran.length).toBeGreaterThan(0);
    expect(ran.length).toBeLessThan(20);
    await new Promise<void>((resolve) => {
      const check = () => (ran.length === 200 ? resolve() : setTimeout(check, 5));
      check();
    });
    expect(ran).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(timerFiredAt).toBeGreaterThan(0);
    expect(timerFiredAt).toBeLessThan(200);
    expect(gate.stats.slices).toBeGreaterThan(5);
    expect(gate.stats.maxWaiting).toBeGreaterThan(150);
  });

  it('keeps the order of work given while others wait', async () => {
    const gate = new TurnGate({ sliceMs: 1 });
    const ran: string[] = [];
    gate.run(() => busy(2)); // uses this turn's budget
    gate.run(() => ran.push('a'));
    gate.run(() => ran.push('b'));
    await new Promise((r) => setImmediate(r));
    gate.run(() => ran.push('c'));
    await new Promise((r) => setTimeout(r, 20));
    expect(ran).toEqual(['a', 'b', 'c']);
  });

  it('reports a piece that throws, and runs the others', async () => {
    const errors: unknown[] = [];
    const gate = new TurnGate({ sliceMs: 1, onError: (err) => errors.push(err) });
    const ran: number[] = [];
    gate.run(() => busy(2));
    gate.run(() => {
      throw new Error('a bug');
    });
    gate.run(() => ran.push(1));
    gate.run(() => {
      throw new Error('another');
    });
    gate.run(() => ran.push(2));
    await new Promise((r) => setTimeout(r, 20));
    expect(ran).toEqual([1, 2]);
    expect(errors.map((e) => (e as Error).message)).toEqual(['a bug', 'another']);
    expect(gate.waiting).toBe(0);
  });
});

describe('the embedded broker, through its turn gate', () => {
  it('takes a burst from many units through the gate, each unit in order, none lost', async () => {
    const broker = await startEmbeddedBroker({
      port: 0,
      host: '127.0.0.1',
      verifyServer: () => false,
      verifyUnit: (id, secret) => secret === `s-${id}`,
      log: pino({ level: 'silent' }),
    });
    const bus = await inProcessBus(broker.broker, { error: () => undefined });
    const ids = Array.from({ length: 20 }, (_, i) => `thon-${i}`);
    const clients = await Promise.all(
      ids.map((id) =>
        mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
          clientId: `loa-unit-${id}`,
          username: id,
          password: `s-${id}`,
          reconnectPeriod: 0,
        }),
      ),
    );
    try {
      const got = new Map<string, number[]>();
      // Each message costs the server 0.2 ms: 4,000 of them are 0.8 s of work. (What the gate
      // spares the event loop at scale is measured by `npm run bench -- fleet`, not here.)
      bus.on('unit:events', (t, payload) => {
        if (t.kind !== 'unit') return;
        busy(0.2);
        (got.get(t.unit) ?? got.set(t.unit, []).get(t.unit)!).push(Number(payload.toString()));
      });
      const t0 = performance.now();
      await Promise.all(
        clients.map((c, k) =>
          Promise.all(
            Array.from({ length: 200 }, (_, i) => c.publishAsync(topics.events(ids[k]!), String(i), { qos: 1 })),
          ),
        ),
      );
      // A PUBACK goes before the fan-out (aedes): the last messages may still be on their way.
      const total = () => [...got.values()].reduce((n, l) => n + l.length, 0);
      while (total() < 4000 && performance.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 10));
      for (const id of ids) expect(got.get(id)).toEqual(Array.from({ length: 200 }, (_, i) => i));
      expect(broker.input.stats.queued).toBeGreaterThan(0);
    } finally {
      await Promise.all(clients.map((c) => c.endAsync(true)));
      await bus.close();
      await broker.close();
    }
  });
});
