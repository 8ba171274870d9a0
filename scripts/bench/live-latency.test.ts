import { describe, expect, it } from 'vitest';
import { clickDelays } from './live-latency.js';

// Clicks at the bench's uneven gaps (in ms), as the microphone makes them.
const GAPS_MS = [500, 700, 1100, 600, 900, 1300, 800];
const clicks: number[] = [];
for (let t = 10_000, i = 0; i < 30; t += GAPS_MS[i % GAPS_MS.length]!, i++) clicks.push(t);

describe('the live-latency bench’s matching of clicks to sounds', () => {
  it('finds a delay longer than the gap between clicks, which a fixed period would alias', () => {
    const onsets = clicks.map((c, i) => c + 650 + (i % 3) * 10);
    const delays = clickDelays(clicks, onsets);
    expect(delays).toHaveLength(clicks.length);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(650);
    expect(Math.max(...delays)).toBeLessThanOrEqual(670);
  });

  it('finds a delay of seconds', () => {
    const delays = clickDelays(
      clicks,
      clicks.map((c) => c + 2300),
    );
    expect(delays.every((d) => d === 2300)).toBe(true);
  });

  it('counts a click with no sound near it as not heard', () => {
    const onsets = clicks.map((c) => c + 120).filter((_, i) => i !== 4 && i !== 17);
    expect(clickDelays(clicks, onsets)).toHaveLength(clicks.length - 2);
  });
});
