import { describe, expect, it } from 'vitest';
import { item } from '../testing/plans.js';
import { amplifierWanted, type WarmupInput } from './warmup.js';

const T0 = Date.UTC(2026, 0, 5, 22, 0, 0); // 05:00 in Asia/Ho_Chi_Minh
const media = { sha256: 'aa'.repeat(32), bytes: 1, durationMs: 10_000 };
const morning = { startAt: T0, endAt: T0 + 2.5 * 3600_000 };
const evening = { startAt: T0 + 12 * 3600_000, endAt: T0 + 14 * 3600_000 };
const base: WarmupInput = {
  now: T0,
  playing: false,
  next: undefined,
  last: undefined,
  windows: [morning, evening],
  warmupMs: 3000,
  bridgeMs: 60_000,
};

describe('amplifierWanted (rule 5)', () => {
  it('is off with nothing to play, and on while an item sounds', () => {
    expect(amplifierWanted(base)).toEqual({ on: false, recheckAt: undefined });
    expect(amplifierWanted({ ...base, playing: true })).toEqual({ on: true });
  });

  it('goes on exactly the warm-up before the next item', () => {
    const next = item('a', media, T0 + 60_000);
    expect(amplifierWanted({ ...base, now: T0 + 56_999, next })).toEqual({ on: false, recheckAt: T0 + 57_000 });
    expect(amplifierWanted({ ...base, now: T0 + 57_000, next })).toEqual({ on: true });
  });

  it('stays on between two items of one window a short gap apart', () => {
    const last = { item: item('a', media, T0 + 60_000), endedAt: T0 + 70_000 };
    const next = item('b', media, T0 + 120_000);
    expect(amplifierWanted({ ...base, now: T0 + 70_001, last, next })).toEqual({ on: true });
  });

  it('goes off in a long gap inside a window, and after the last item of a window', () => {
    const last = { item: item('a', media, T0 + 60_000), endedAt: T0 + 70_000 };
    const later = item('b', media, T0 + 3600_000);
    expect(amplifierWanted({ ...base, now: T0 + 70_001, last, next: later })).toEqual({
      on: false,
      recheckAt: T0 + 3600_000 - 3000,
    });
    const tonight = item('c', media, evening.startAt + 1000);
    const lastOfMorning = { item: item('z', media, morning.endAt - 20_000), endedAt: morning.endAt - 10_000 };
    expect(amplifierWanted({ ...base, now: morning.endAt - 9_999, last: lastOfMorning, next: tonight }).on).toBe(false);
  });

  it('does not bridge from a window into an emergency outside it', () => {
    const last = { item: item('a', media, morning.endAt - 20_000), endedAt: morning.endAt - 10_000 };
    const storm = item('storm', media, morning.endAt + 30_000, { level: 'emergency' });
    const d = amplifierWanted({ ...base, now: morning.endAt - 9_000, last, next: storm });
    expect(d).toEqual({ on: false, recheckAt: storm.startAt - 3000 });
  });
});
