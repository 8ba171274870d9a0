// Preloaded into the benchmark's server (`node --import …/stall-watch.mjs`, fleet `--stalls FILE`):
// writes one JSON line per stall of the event loop over STALL_MS (a 5-ms timer that fired late) and
// per garbage collection pause over GC_MS, each with the monotonic clock in µs — the time base of
// a `--cpu-prof` profile, so what ran during a stall can be found in it — and the server's memory
// every 5 s. Plain JavaScript: it loads before tsx does. Silent unless LOA_STALL_LOG names a file.
import { appendFileSync, readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';

const file = process.env.LOA_STALL_LOG;
const STALL_MS = 65;
const GC_MS = 30;

if (file) {
  const start = process.hrtime.bigint();
  const line = (o) => appendFileSync(file, `${JSON.stringify(o)}\n`);
  const now = () => process.hrtime.bigint();
  const sinceStartS = (t) => Number(t - start) / 1e9;
  // The main thread's own CPU time (its task's utime + stime, in clock ticks of 10 ms): a stall
  // that used little of it waited, for a core (the machine is shared) or in a system call, rather
  // than ran JavaScript.
  const mainTask = `/proc/self/task/${process.pid}/stat`;
  const cpuTicks = () => {
    const fields = readFileSync(mainTask, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  };
  let last = now();
  let lastTicks = cpuTicks();
  setInterval(() => {
    const t = now();
    const ticks = cpuTicks();
    const ms = Number(t - last) / 1e6 - 5;
    if (ms > STALL_MS)
      line({
        kind: 'stall',
        ms: Math.round(ms),
        cpuMs: (ticks - lastTicks) * 10,
        atS: sinceStartS(t),
        monoUs: Number(t / 1000n),
      });
    last = t;
    lastTicks = ticks;
  }, 5).unref();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration <= GC_MS) continue;
      const t = now();
      line({
        kind: 'gc',
        ms: Math.round(e.duration),
        gcKind: e.detail?.kind,
        atS: sinceStartS(t),
        monoUs: Number(t / 1000n),
      });
    }
  }).observe({ entryTypes: ['gc'] });
  setInterval(() => {
    const m = process.memoryUsage();
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    const mb = (x) => Math.round(x / 1048576);
    line({
      kind: 'memory',
      atS: sinceStartS(now()),
      rssMb: mb(m.rss),
      anonMb: Math.round(kb('RssAnon') / 1024),
      heapTotalMb: mb(m.heapTotal),
      heapUsedMb: mb(m.heapUsed),
      arrayBuffersMb: mb(m.arrayBuffers),
    });
  }, 5000).unref();
}
