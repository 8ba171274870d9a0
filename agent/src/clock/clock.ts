// Time behind a small interface (STYLE.md: hardware and clock behind drivers), so the scheduler can
// be tested with a manual clock and the board's real clock is used everywhere else.

export interface Clock {
  /** Milliseconds since the Unix epoch, the same scale as plan instants. */
  now(): number;
  /** Calls `fn` once the clock reaches `at`; returns a cancel function. Coarse (a few ms). */
  setTimer(at: number, fn: () => void): () => void;
  /** Resolves as close as possible after `at`: the start of an item is measured at its first sample. */
  waitUntil(at: number): Promise<void>;
}

// setTimeout takes at most a 32-bit delay (about 24.8 days); longer waits are chained.
const MAX_DELAY = 2 ** 31 - 1;
// The last stretch before an instant is spun on setImmediate: timers wake up a few ms late.
const SPIN_MS = 12;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(at, fn) {
    let handle: NodeJS.Timeout | undefined;
    let cancelled = false;
    const arm = () => {
      const delay = at - Date.now();
      if (delay <= 0) {
        handle = undefined;
        if (!cancelled) fn();
        return;
      }
      // Re-check on wake: a timer may fire early after the wall clock was stepped (NTP).
      handle = setTimeout(arm, Math.min(delay, MAX_DELAY));
    };
    arm();
    return () => {
      cancelled = true;
      if (handle) clearTimeout(handle);
    };
  },
  waitUntil(at) {
    return new Promise((resolve) => {
      const spin = () => {
        if (Date.now() >= at) resolve();
        else setImmediate(spin);
      };
      const coarse = () => {
        const left = at - Date.now();
        if (left > SPIN_MS) setTimeout(coarse, Math.min(left - SPIN_MS, MAX_DELAY));
        else spin();
      };
      coarse();
    });
  },
};
