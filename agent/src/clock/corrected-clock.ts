// The board's clock corrected by the offset to the server's (issue 7: schedule in corrected time).
// A Raspberry Pi has no real-time clock: after a power cut on a 4G link with no NTP it may boot
// minutes or days off, while plan instants are the server's. The offset comes from the clock probe
// (health/clock-probe.ts); `time/reply` may only be published by the server (broker ACL, DESIGN §7).
import type { Clock } from './clock.js';

// setTimeout takes at most a 32-bit delay (about 24.8 days); longer waits are chained.
const MAX_DELAY = 2 ** 31 - 1;
// The last stretch before an instant is spun on setImmediate: timers wake up a few ms late, more
// on a busy board; spinning 30 ms per item costs nothing that matters.
const SPIN_MS = 30;

interface Timer {
  at: number;
  fn: () => void;
  handle: NodeJS.Timeout | undefined;
}

export class CorrectedClock implements Clock {
  private offset = 0;
  private readonly timers = new Set<Timer>();
  private readonly listeners: ((offsetMs: number) => void)[] = [];

  constructor(private readonly base: () => number = Date.now) {}

  /** Server clock minus the board's, as applied. */
  get offsetMs(): number {
    return this.offset;
  }

  now(): number {
    return this.base() + this.offset;
  }

  /** Applies a new offset: every pending timer is re-armed against the corrected time. */
  setOffset(offsetMs: number): void {
    if (offsetMs === this.offset) return;
    this.offset = offsetMs;
    for (const t of this.timers) this.arm(t);
    for (const fn of this.listeners) fn(offsetMs);
  }

  onOffset(fn: (offsetMs: number) => void): void {
    this.listeners.push(fn);
  }

  setTimer(at: number, fn: () => void): () => void {
    const timer: Timer = { at, fn, handle: undefined };
    this.timers.add(timer);
    this.arm(timer);
    return () => {
      clearTimeout(timer.handle);
      this.timers.delete(timer);
    };
  }

  waitUntil(at: number): Promise<void> {
    return new Promise((resolve) => {
      const spin = () => {
        if (this.now() >= at) resolve();
        else setImmediate(spin);
      };
      const coarse = () => {
        const left = at - this.now();
        if (left > SPIN_MS) setTimeout(coarse, Math.min(left - SPIN_MS, MAX_DELAY));
        else spin();
      };
      coarse();
    });
  }

  private arm(timer: Timer, woken = false): void {
    clearTimeout(timer.handle);
    timer.handle = undefined;
    const delay = timer.at - this.now();
    if (delay <= 0) {
      if (woken) this.fire(timer);
      // Deferred, so a timer due at once never fires inside setTimer or setOffset.
      else timer.handle = setTimeout(() => this.fire(timer), 0);
      return;
    }
    // Re-checked on wake: the wall clock may have been stepped (NTP) while waiting.
    timer.handle = setTimeout(() => this.arm(timer, true), Math.min(delay, MAX_DELAY));
  }

  private fire(timer: Timer): void {
    if (!this.timers.delete(timer)) return;
    timer.fn();
  }
}
