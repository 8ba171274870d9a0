// The figures of a unit's telemetry history made into chart lines (no DOM, no dictionary: tested
// on their own). The server stamps each sample with the time it arrived (server/src/telemetry).

export interface TelemetryPoint {
  at: number;
  load1: number | null;
  cpuTempC: number | null;
  memFreeBytes: number | null;
  diskFreeBytes: number | null;
  cacheBytes: number | null;
  clockOffsetMs: number | null;
  volume: number | null;
  amplifierOn: number | boolean | null;
}
export interface History {
  resolution: 'raw' | '5m';
  from: number;
  to: number;
  points: TelemetryPoint[];
}

export type Metric = 'cpuTempC' | 'load1' | 'diskFreeBytes' | 'clockOffsetMs';

export const W = 300;
export const H = 60;
/** Points beyond this many per chart are averaged together: a phone needs no more than its pixels. */
const MAX_POINTS = 300;
export const RAW_MS = 48 * 3600_000;

/** The averages, then the raw samples after the last averaged bucket. */
export function merged(averages: History | undefined, raw: History | undefined): History | undefined {
  if (!averages || !raw) return averages;
  const lastBucket = averages.points.length ? averages.points[averages.points.length - 1]!.at + 5 * 60_000 : 0;
  return { ...averages, points: [...averages.points, ...raw.points.filter((p) => p.at >= lastBucket)] };
}

/** The series as it is, or averaged into MAX_POINTS buckets over [from, to) when longer; gaps stay gaps. */
export function series(points: TelemetryPoint[], key: Metric, from: number, to: number): Array<[number, number]> {
  const valid = points.filter((p) => typeof p[key] === 'number' && Number.isFinite(p[key]));
  if (valid.length <= MAX_POINTS) return valid.map((p) => [p.at, p[key] as number]);
  const span = (to - from) / MAX_POINTS;
  const sums = new Map<number, [number, number, number]>();
  for (const p of valid) {
    const v = p[key] as number;
    const b = Math.floor((p.at - from) / span);
    const s = sums.get(b) ?? [0, 0, 0];
    s[0] += p.at;
    s[1] += v;
    s[2]++;
    sums.set(b, s);
  }
  return [...sums.entries()].sort((a, b) => a[0] - b[0]).map(([, [at, v, n]]) => [at / n, v / n]);
}

/** The SVG path of a series, broken where the unit sent nothing for a while (offline stays visible). */
export function scale(from: number, to: number, min: number, max: number) {
  return {
    x: (at: number) => ((at - from) / (to - from)) * W,
    y: (v: number) => (max === min ? H / 2 : H - 4 - ((v - min) / (max - min)) * (H - 8)),
  };
}

export function pathOf(
  pts: Array<[number, number]>,
  from: number,
  to: number,
  min: number,
  max: number,
  gapMs: number,
) {
  const { x, y } = scale(from, to, min, max);
  let d = '';
  let prev: number | undefined;
  for (const [at, v] of pts) {
    d += `${prev === undefined || at - prev > gapMs ? 'M' : 'L'}${x(at).toFixed(1)},${y(v).toFixed(1)}`;
    prev = at;
  }
  return d;
}

/** A silence longer than 3 report intervals (30 s raw, 5 min averaged) or 2.5 chart buckets is a gap. */
export function gapOf(h: History): number {
  return Math.max(h.resolution === 'raw' ? 90_000 : 15 * 60_000, ((h.to - h.from) / MAX_POINTS) * 2.5);
}
