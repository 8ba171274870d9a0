// The planner's small tools: Timeline keeps intervals sorted; sortSmall sorts as Array.sort does.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sortSmall, Timeline } from './timeline.js';

describe('sortSmall', () => {
  it('sorts like Array.prototype.sort, stable, short lists and long', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ k: fc.integer({ min: 0, max: 5 }), i: fc.nat() }), { maxLength: 40 }), (xs) => {
        const byKey = (a: { k: number }, b: { k: number }) => a.k - b.k;
        expect(sortSmall([...xs], byKey)).toEqual([...xs].sort(byKey));
      }),
    );
  });
});

describe('Timeline', () => {
  it('keeps taken intervals in order whatever order they are taken in, and finds the first fit', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 50 }), { maxLength: 20 }), (slots) => {
        const t = new Timeline<number>();
        for (const s of slots) t.take(s * 10, s * 10 + 5, s);
        expect(t.size).toBe(slots.length);
        for (const s of slots) expect(t.overlap(s * 10 + 1, s * 10 + 2)?.owner).toBe(s);
        // The earliest start of a free 10-long slot, by brute force over whole numbers.
        const free = (t: number) => slots.every((s) => t + 10 <= s * 10 || t >= s * 10 + 5);
        const expected = [...Array(600).keys()].find(free);
        expect(t.firstFit(0, 1000, 10)).toBe(expected);
      }),
    );
  });
});
