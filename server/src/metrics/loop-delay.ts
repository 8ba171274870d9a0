// The event loop's delay as a Prometheus histogram (loa_eventloop_delay_seconds). prom-client's
// nodejs_eventloop_lag_p99_seconds is the p99 of the samples since the last scrape only: it says
// how the last window went, and no two windows can be added up. Buckets that only count up can:
// Prometheus's histogram_quantile gives the p99 over any range (a night, a broadcast window, a
// benchmark's soak), and the count above a bound says how many stalls there were.
//
// Sampled as prom-client's own reading is (perf_hooks.monitorEventLoopDelay at 10 ms): a timer every
// `resolutionMs`, each sample the time since the one before, so an idle loop reads about the
// resolution and a loop held 200 ms reads one sample of about 200 ms.
import { Histogram, type Registry } from 'prom-client';

/** Fine around the 50-ms target of issue #10, coarse beyond where a stall is a stall. */
export const LOOP_DELAY_BUCKETS = [
  0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.045, 0.05, 0.06, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5, 5,
];

export function loopDelayHistogram(registry: Registry, resolutionMs = 10): { stop(): void } {
  const histogram = new Histogram({
    name: 'loa_eventloop_delay_seconds',
    help: `Event-loop delay: time between ticks of a ${resolutionMs}-ms timer (an idle loop reads ~${resolutionMs} ms), counted since start.`,
    buckets: LOOP_DELAY_BUCKETS,
    registers: [registry],
  });
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    histogram.observe((now - last) / 1000);
    last = now;
  }, resolutionMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
