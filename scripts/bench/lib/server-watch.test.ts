// The fleet benchmark's p99 over a whole phase, read from two scrapes of the server's delay
// histogram (server-watch.ts): only what was counted between them, given as its bucket's bound.
import { describe, expect, it } from 'vitest';
import { p99Between } from './server-watch.js';

const at = (counts: number[], les = [0.01, 0.02, 0.05, 0.1, Infinity]) =>
  les.map((le, i) => ({ le, count: counts[i]! }));

describe('p99Between', () => {
  it('reads the p99 of the samples between two scrapes, not those before the first', () => {
    // Before: a start-up that stalled (200 samples over 0.1 s). Between: 1,000 samples, 5 over 50 ms.
    const from = at([0, 0, 0, 0, 200]);
    const to = at([700, 950, 995, 1000, 1200]);
    expect(p99Between(from, to)).toEqual({ p99Ms: 50, samples: 1000, over50msShare: 0.005 });
    // The same samples read from the start: the start-up's stall is the p99.
    expect(p99Between([], to).p99Ms).toBe(Infinity);
  });

  it('gives the next bound up when 1 % of the samples are over a bound', () => {
    const to = at([900, 980, 989, 1000, 1000]);
    expect(p99Between(at([0, 0, 0, 0, 0]), to).p99Ms).toBe(100);
    expect(p99Between(at([0, 0, 0, 0, 0]), to).over50msShare).toBeCloseTo(0.011);
  });

  it('says nothing without samples or without the histogram', () => {
    expect(p99Between(at([5, 5, 5, 5, 5]), at([5, 5, 5, 5, 5])).p99Ms).toBeNaN();
    expect(p99Between([], []).samples).toBe(0);
  });
});
