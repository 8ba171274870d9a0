// The broker's input gate (turn-gate.ts): at once when quiet; a burst spread over turns of the
// loop, in order, with timers firing between its slices; a failing piece reported, not fatal.
import { describe, expect, it } from 'vitest';
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
