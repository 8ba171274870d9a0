import { describe, expect, it } from 'vitest';
import { CorrectedClock } from './corrected-clock.js';

describe('CorrectedClock', () => {
  it('reads the board clock plus the offset to the server', () => {
    const clock = new CorrectedClock(() => 1000);
    expect(clock.now()).toBe(1000);
    clock.setOffset(2500);
    expect(clock.now()).toBe(3500);
    expect(clock.offsetMs).toBe(2500);
  });

  it('re-arms pending timers when the offset changes, in both directions', async () => {
    const clock = new CorrectedClock();
    const fired: string[] = [];
    clock.setTimer(clock.now() + 400, () => fired.push('ahead'));
    clock.setTimer(clock.now() + 150, () => fired.push('overdue'));
    // The server is 300 ms ahead: "overdue" is past, "ahead" due in 100 ms of board time.
    clock.setOffset(300);
    await new Promise((r) => setTimeout(r, 20));
    expect(fired).toEqual(['overdue']);
    await new Promise((r) => setTimeout(r, 110));
    expect(fired).toEqual(['overdue', 'ahead']);
    // An offset moved back makes a timer wait longer, never fire early.
    const later: number[] = [];
    clock.setTimer(clock.now() + 100, () => later.push(Date.now()));
    const armedAt = Date.now();
    clock.setOffset(0);
    await new Promise((r) => setTimeout(r, 250));
    expect(later).toEqual([]);
    await new Promise((r) => setTimeout(r, 250));
    expect(later[0]! - armedAt).toBeGreaterThanOrEqual(395);
  });

  it('waits until an instant of corrected time, to the millisecond', async () => {
    const clock = new CorrectedClock();
    clock.setOffset(-5000);
    const at = clock.now() + 120;
    await clock.waitUntil(at);
    const late = clock.now() - at;
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(5);
  });

  it('cancels a timer', async () => {
    const clock = new CorrectedClock();
    let fired = false;
    const cancel = clock.setTimer(clock.now() + 30, () => (fired = true));
    cancel();
    clock.setOffset(100);
    await new Promise((r) => setTimeout(r, 80));
    expect(fired).toBe(false);
  });
});
