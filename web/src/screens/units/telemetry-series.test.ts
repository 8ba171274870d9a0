// The chart lines of the unit page: what is drawn must be the unit's figures, gaps included.
import { describe, expect, it } from 'vitest';
import { gapOf, merged, pathOf, series, type History, type TelemetryPoint } from './telemetry-series.js';

const point = (at: number, cpuTempC: number | null): TelemetryPoint => ({
  at,
  cpuTempC,
  load1: null,
  memFreeBytes: null,
  diskFreeBytes: null,
  cacheBytes: null,
  clockOffsetMs: null,
  volume: null,
  amplifierOn: null,
});
const DAY = 86_400_000;

describe('telemetry series', () => {
  it('keeps every sample of a short series and skips missing figures', () => {
    const pts = [point(1000, 40), point(2000, null), point(3000, 50)];
    expect(series(pts, 'cpuTempC', 0, DAY)).toEqual([
      [1000, 40],
      [3000, 50],
    ]);
  });

  it('averages a long series into at most 300 buckets', () => {
    // A day of reports every 30 s: 2880 samples, alternately 40 and 60 °C.
    const pts = Array.from({ length: 2880 }, (_, i) => point(i * 30_000, i % 2 ? 60 : 40));
    const s = series(pts, 'cpuTempC', 0, DAY);
    expect(s.length).toBeLessThanOrEqual(300);
    expect(s.length).toBeGreaterThan(250);
    // Each bucket holds 9 or 10 reports, so its average is 50 °C give or take one report's share.
    for (const [, v] of s) {
      expect(v).toBeGreaterThanOrEqual(48);
      expect(v).toBeLessThanOrEqual(52);
    }
    expect(s.map(([at]) => at)).toEqual([...s.map(([at]) => at)].sort((a, b) => a - b));
  });

  it('breaks the line where the unit was silent', () => {
    const h: History = { resolution: 'raw', from: 0, to: 600_000, points: [] };
    const d = pathOf(
      [
        [0, 1],
        [30_000, 2],
        [400_000, 3], // 6 min of silence: offline
        [430_000, 4],
      ],
      h.from,
      h.to,
      1,
      4,
      gapOf(h),
    );
    expect(d.match(/M/g)).toHaveLength(2);
    expect(d.match(/L/g)).toHaveLength(2);
  });

  it('adds the raw reports not yet averaged after the last 5-minute bucket', () => {
    const averages: History = { resolution: '5m', from: 0, to: DAY, points: [point(0, 40), point(300_000, 42)] };
    const raw: History = {
      resolution: 'raw',
      from: 0,
      to: DAY,
      points: [point(310_000, 99), point(600_000, 44), point(630_000, 45)],
    };
    expect(merged(averages, raw)!.points.map((p) => p.cpuTempC)).toEqual([40, 42, 44, 45]);
    expect(merged(averages, undefined)).toBe(averages);
  });
});
