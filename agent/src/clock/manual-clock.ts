// Test driver of Clock: time moves only when a test calls `advance`, so scheduler rules (windows,
// validity, pre-emption) are checked in microseconds instead of waiting for real instants.
import type { Clock } from './clock.js';

interface Pending {
  at: number;
  fn: () => void;
  seq: number;
}

export class ManualClock implements Clock {
  private time: number;
  private pending: Pending[] = [];
  private seq = 0;

  constructor(start: number) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(at: number, fn: () => void): () => void {
    const entry = { at, fn, seq: this.seq++ };
    this.pending.push(entry);
    return () => {
      this.pending = this.pending.filter((p) => p !== entry);
    };
  }

  waitUntil(at: number): Promise<void> {
    if (this.time >= at) return Promise.resolve();
    return new Promise((resolve) => this.setTimer(at, resolve));
  }

  /** Moves time forward, firing due timers in order and letting promise callbacks run between them. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      const due = this.pending.filter((p) => p.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.pending = this.pending.filter((p) => p !== due);
      this.time = Math.max(this.time, due.at);
      due.fn();
      await flush();
    }
    this.time = target;
    await flush();
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}
