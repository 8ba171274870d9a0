// Watches the server (and an external broker's processes) during a benchmark: its Prometheus
// /metrics every few seconds — event-loop lag, units online — and memory and CPU from /proc.
// prom-client's lag histogram starts afresh at every scrape, so each sample is one window's p99;
// the worst window is reported, which is at least as strict as the p99 over the whole run.
import { cpuSecondsOf, peakRssMbOf } from './server-process.js';

export interface LagWindow {
  at: number;
  p99Ms: number;
  maxMs: number;
}

export interface WatchFigures {
  /** Worst window's p99, the median window's p99, and the longest single delay, ms. */
  lagP99Ms: number;
  lagP99MedianMs: number;
  lagMaxMs: number;
  windows: number;
  /** Peak resident memory of the server over its whole life, MB. */
  serverPeakRssMb: number;
  /** CPU the server used while watched, as a share of one core (1 = a whole core). */
  serverCpuCores: number;
  /** The same for each external broker process (Mosquitto, broker nodes). */
  brokers: Array<{ name: string; peakRssMb: number; cpuCores: number }>;
  unitsOnlineMin: number;
}

/** prom-client's lag metrics: the histogram samples every 10 ms, so an idle loop reads about 10 ms. */
export const LAG_RESOLUTION_MS = 10;

function gauge(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name} ([0-9.eE+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

export function watchServer(opts: {
  base: string;
  serverPid: number;
  brokers: Array<{ name: string; pid: number }>;
  everyMs?: number;
}) {
  const windows: LagWindow[] = [];
  const online: number[] = [];
  const scrape = async () => {
    const text = await (await fetch(`${opts.base}/metrics`)).text();
    const p99 = gauge(text, 'nodejs_eventloop_lag_p99_seconds');
    const max = gauge(text, 'nodejs_eventloop_lag_max_seconds');
    const units = gauge(text, 'loa_units_online');
    if (units !== undefined) online.push(units);
    return p99 === undefined || max === undefined
      ? undefined
      : { at: Date.now(), p99Ms: p99 * 1000, maxMs: max * 1000 };
  };
  const cpu0 = cpuSecondsOf(opts.serverPid);
  const brokerCpu0 = opts.brokers.map((b) => cpuSecondsOf(b.pid));
  const t0 = performance.now();
  // The first scrape only clears what the histogram held from before.
  let sampling = scrape().catch(() => undefined);
  const timer = setInterval(() => {
    sampling = sampling
      .then(scrape)
      .then((w) => void (w && windows.push(w)))
      .catch(() => undefined); // a scrape lost to load: one window fewer
  }, opts.everyMs ?? 5000);

  return {
    /** The lag windows so far (for progress lines). */
    windows,
    async stop(): Promise<WatchFigures> {
      clearInterval(timer);
      await sampling;
      const w = await scrape().catch(() => undefined);
      if (w) windows.push(w);
      const seconds = (performance.now() - t0) / 1000;
      const p99s = windows.map((x) => x.p99Ms).sort((a, b) => a - b);
      return {
        lagP99Ms: p99s.at(-1) ?? NaN,
        lagP99MedianMs: p99s[Math.floor(p99s.length / 2)] ?? NaN,
        lagMaxMs: Math.max(...windows.map((x) => x.maxMs)),
        windows: windows.length,
        serverPeakRssMb: peakRssMbOf(opts.serverPid),
        serverCpuCores: (cpuSecondsOf(opts.serverPid) - cpu0) / seconds,
        brokers: opts.brokers.map((b, i) => ({
          name: b.name,
          peakRssMb: peakRssMbOf(b.pid),
          cpuCores: (cpuSecondsOf(b.pid) - brokerCpu0[i]!) / seconds,
        })),
        unitsOnlineMin: online.length ? Math.min(...online) : NaN,
      };
    },
  };
}
