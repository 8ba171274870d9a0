// Watches the server (and an external broker's processes) during a benchmark: its Prometheus
// /metrics every few seconds — event-loop lag, units online — and memory and CPU from /proc, in
// laps (one per phase of the benchmark). prom-client's lag histogram starts afresh at every scrape,
// so each sample is one window's p99; the worst window is reported, at least as strict as the p99
// over the whole lap. The p99 over the whole lap comes from the server's own histogram, whose
// buckets count up since start (server/src/metrics/loop-delay.ts): the bucket where 99 % of the
// lap's samples are, given as its upper bound. Both sample every 10 ms: an idle loop reads ~10 ms.
import { readFileSync } from 'node:fs';
import { cpuSecondsOf, peakRssMbOf } from './server-process.js';

function rssMbOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

export interface LapFigures {
  /**
   * The p99 of all the lap's samples, ms: the upper bound of the histogram bucket it falls in
   * (so at most this; Infinity past the last bound, NaN without the histogram).
   */
  lagP99WholeMs: number;
  /** The lap's samples, and the share of them over 50 ms (the target). */
  lagSamples: number;
  lagOver50msShare: number;
  /** Worst window's p99, the median window's p99, and the longest single delay, ms. */
  lagP99Ms: number;
  lagP99MedianMs: number;
  lagMaxMs: number;
  /** The same for the embedded broker's own thread, when it has one (worst window / max). */
  brokerThreadLagP99Ms: number;
  brokerThreadLagMaxMs: number;
  windows: number;
  seconds: number;
  /** CPU used during the lap, as a share of one core (1 = a whole core). */
  serverCpuCores: number;
  brokerCpuCores: number[];
  unitsOnlineMin: number;
  /** The server's largest resident memory seen at a scrape during the lap, MB. */
  serverRssMaxMb: number;
  /** Its JavaScript heap in use and its memory outside the heap (buffers), at the lap's end, MB. */
  heapUsedMb: number;
  externalMb: number;
  /** The embedded broker's thread's heap in use at the lap's end, MB (NaN without the thread). */
  brokerHeapUsedMb: number;
}

interface Window {
  p99Ms: number;
  maxMs: number;
}

/** A histogram's cumulative buckets, `le` in seconds (Infinity for +Inf). */
type Buckets = Array<{ le: number; count: number }>;

function buckets(text: string, name: string): Buckets {
  const out: Buckets = [];
  for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} ([0-9.eE+-]+)$`, 'gm')))
    out.push({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), count: Number(m[2]) });
  return out;
}

/** The p99 of the samples counted between two readings of the same histogram: its bucket's bound, ms. */
export function p99Between(from: Buckets, to: Buckets): { p99Ms: number; samples: number; over50msShare: number } {
  const delta = to.map((b, i) => ({ le: b.le, count: b.count - (from[i]?.count ?? 0) }));
  const samples = delta.at(-1)?.count ?? 0;
  if (!samples) return { p99Ms: NaN, samples: 0, over50msShare: NaN };
  const at = delta.find((b) => b.count >= 0.99 * samples)!;
  const at50 = delta.find((b) => Math.abs(b.le - 0.05) < 1e-9); // NaN share without a 50-ms bound
  return { p99Ms: at.le * 1000, samples, over50msShare: at50 ? (samples - at50.count) / samples : NaN };
}

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
  let windows: Window[] = [];
  let brokerWindows: Window[] = [];
  let online: number[] = [];
  let rssMax = 0;
  let heap = { used: NaN, external: NaN, broker: NaN };
  let delay: Buckets = [];
  let lapDelay: Buckets = [];
  const scrape = async () => {
    rssMax = Math.max(rssMax, rssMbOf(opts.serverPid));
    const text = await (await fetch(`${opts.base}/metrics`)).text();
    delay = buckets(text, 'loa_eventloop_delay_seconds');
    const p99 = gauge(text, 'nodejs_eventloop_lag_p99_seconds');
    const max = gauge(text, 'nodejs_eventloop_lag_max_seconds');
    const units = gauge(text, 'loa_units_online');
    heap = {
      used: (gauge(text, 'nodejs_heap_size_used_bytes') ?? NaN) / 2 ** 20,
      external: (gauge(text, 'nodejs_external_memory_bytes') ?? NaN) / 2 ** 20,
      broker: (gauge(text, 'loa_broker_heap_used_bytes') ?? NaN) / 2 ** 20,
    };
    if (units !== undefined) online.push(units);
    if (p99 !== undefined && max !== undefined) windows.push({ p99Ms: p99 * 1000, maxMs: max * 1000 });
    const bp99 = gauge(text, 'loa_broker_eventloop_lag_p99_seconds');
    const bmax = gauge(text, 'loa_broker_eventloop_lag_max_seconds');
    if (bp99 !== undefined && bmax !== undefined) brokerWindows.push({ p99Ms: bp99 * 1000, maxMs: bmax * 1000 });
  };
  const cpuNow = () => [cpuSecondsOf(opts.serverPid), ...opts.brokers.map((b) => cpuSecondsOf(b.pid))];
  let cpu0 = cpuNow();
  let t0 = performance.now();
  // The first scrape only clears what the histogram held from before.
  let sampling: Promise<void> = scrape()
    .catch(() => undefined)
    .then(() => void ((windows = []), (brokerWindows = []), (lapDelay = delay)));
  // A scrape lost to load is one window fewer.
  const next = () => (sampling = sampling.then(scrape).catch(() => undefined));
  const timer = setInterval(next, opts.everyMs ?? 5000);

  return {
    /** The last scrape's lag p99 and memory (for progress lines). */
    last: () => ({ p99Ms: windows.at(-1)?.p99Ms, rssMb: rssMbOf(opts.serverPid), heapUsedMb: heap.used }),
    /** The figures since the previous lap (or the start); the next lap starts now. */
    async lap(): Promise<LapFigures> {
      await next();
      const seconds = (performance.now() - t0) / 1000;
      const cpu = cpuNow();
      const p99s = windows.map((x) => x.p99Ms).sort((a, b) => a - b);
      const whole = p99Between(lapDelay, delay);
      const figures: LapFigures = {
        lagP99WholeMs: whole.p99Ms,
        lagSamples: whole.samples,
        lagOver50msShare: whole.over50msShare,
        lagP99Ms: p99s.at(-1) ?? NaN,
        lagP99MedianMs: p99s[Math.floor(p99s.length / 2)] ?? NaN,
        lagMaxMs: windows.length ? Math.max(...windows.map((x) => x.maxMs)) : NaN,
        brokerThreadLagP99Ms: brokerWindows.length ? Math.max(...brokerWindows.map((x) => x.p99Ms)) : NaN,
        brokerThreadLagMaxMs: brokerWindows.length ? Math.max(...brokerWindows.map((x) => x.maxMs)) : NaN,
        windows: windows.length,
        seconds,
        serverCpuCores: (cpu[0]! - cpu0[0]!) / seconds,
        brokerCpuCores: cpu.slice(1).map((c, i) => (c - cpu0[i + 1]!) / seconds),
        unitsOnlineMin: online.length ? Math.min(...online) : NaN,
        serverRssMaxMb: rssMax,
        heapUsedMb: heap.used,
        externalMb: heap.external,
        brokerHeapUsedMb: heap.broker,
      };
      rssMax = 0;
      lapDelay = delay;
      windows = [];
      brokerWindows = [];
      online = [];
      cpu0 = cpu;
      t0 = performance.now();
      return figures;
    },
    /** Peak resident memory over each process's whole life, MB: the server's, then each broker's. */
    peakRssMb: () => ({
      server: peakRssMbOf(opts.serverPid),
      brokers: opts.brokers.map((b) => ({ name: b.name, mb: peakRssMbOf(b.pid) })),
    }),
    async stop() {
      clearInterval(timer);
      await sampling;
    },
  };
}
