import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PlanBody, PlanItem } from '@loa/shared';
import { decide, insideWindows } from './rules.js';

const T = 1_800_000_000_000;
const media = { sha256: 'aa'.repeat(32), bytes: 10, durationMs: 60_000 };
const base: PlanItem = {
  id: 'i',
  bulletinId: 'b',
  level: 'ordinary',
  media,
  startAt: T,
  validUntil: T + 3600_000,
  volume: 80,
};
const planOf = (windows: PlanBody['windows']): PlanBody => ({
  unit: 'abc',
  version: 1,
  issuedAt: T - 1,
  expiresAt: T + 86_400_000,
  windows,
  items: [],
});

describe('insideWindows', () => {
  it('needs the whole item inside one window, ends included', () => {
    const w = [{ startAt: T, endAt: T + 60_000 }];
    expect(insideWindows(T, 60_000, w)).toBe(true);
    expect(insideWindows(T - 1, 60_000, w)).toBe(false);
    expect(insideWindows(T + 1, 60_000, w)).toBe(false);
    // Two windows back to back are still two windows: an item across both is not inside one.
    expect(insideWindows(T + 30_000, 60_000, [...w, { startAt: T + 60_000, endAt: T + 120_000 }])).toBe(false);
  });
});

describe('decide', () => {
  it('refuses before anything else, so a 03:15 relay is reported as refused', () => {
    expect(decide({ ...base, validUntil: T - 1 }, planOf([]), T, false).kind).toBe('refused');
  });

  it('plays a non-emergency item only when it lies inside a window (property)', () => {
    const arb = fc.record({
      windows: fc.array(
        fc.record({ s: fc.integer({ min: -7200, max: 7200 }), len: fc.integer({ min: 0, max: 7200 }) }),
        { maxLength: 4 },
      ),
      start: fc.integer({ min: -7200, max: 7200 }),
      dur: fc.integer({ min: 1, max: 3600 }),
      level: fc.constantFrom('ordinary', 'priority', 'emergency') as fc.Arbitrary<PlanItem['level']>,
    });
    fc.assert(
      fc.property(arb, ({ windows, start, dur, level }) => {
        const ws = windows.map((w) => ({ startAt: T + w.s * 1000, endAt: T + (w.s + w.len) * 1000 }));
        const item = {
          ...base,
          level,
          startAt: T + start * 1000,
          media: { ...media, durationMs: dur * 1000 },
          validUntil: T + 86_400_000,
        };
        const d = decide(item, planOf(ws), item.startAt, true);
        if (level === 'emergency') expect(d.kind).toBe('play');
        else expect(d.kind === 'play').toBe(insideWindows(item.startAt, item.media.durationMs, ws));
      }),
    );
  });

  it('skips an item that would still sound after validUntil (rule 3)', () => {
    const p = planOf([{ startAt: T - 1, endAt: T + 3600_000 }]);
    const end = T + base.media.durationMs;
    expect(decide({ ...base, validUntil: T }, p, T, true)).toEqual({
      kind: 'skipped',
      reason: expect.stringMatching(/^valid until/),
    });
    // Aired 5 s late, it would end 5 s past its validity: skipped, not cut short.
    expect(decide({ ...base, validUntil: end }, p, T + 5000, true).kind).toBe('skipped');
    expect(decide({ ...base, validUntil: end }, p, T, true).kind).toBe('play');
  });

  it('airs a slightly late item only if it still ends inside its window', () => {
    const p = planOf([{ startAt: T, endAt: T + 90_000 }]);
    expect(decide(base, p, T + 20_000, true).kind).toBe('play');
    expect(decide(base, p, T + 40_000, true)).toEqual({
      kind: 'skipped',
      reason: 'late by 40 s, would end outside its window',
    });
  });
});
