// The main thread's side of the dashboard load (dashboard-load.ts, a worker thread): starts it and
// sums up its timings lap by lap.
import type { LoadMessage, LoadRequest, LoadResult } from './dashboard-load.js';
import { tsWorker } from './ts-worker.js';

export interface ApiFigures {
  requests: number;
  failures: number;
  failureSamples: string[];
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  byPath: Record<string, { n: number; p50Ms: number; p99Ms: number }>;
  /** Live-feed messages the browsers received. */
  feedMessages: number;
}

export const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN;

function figures(r: LoadResult): ApiFigures {
  const all = Object.values(r.latencies)
    .flat()
    .sort((a, b) => a - b);
  const byPath: ApiFigures['byPath'] = {};
  for (const [path, l] of Object.entries(r.latencies)) {
    l.sort((a, b) => a - b);
    byPath[path] = { n: l.length, p50Ms: percentile(l, 50), p99Ms: percentile(l, 99) };
  }
  return {
    requests: all.length,
    failures: r.failures,
    failureSamples: r.failureSamples,
    p50Ms: percentile(all, 50),
    p99Ms: percentile(all, 99),
    maxMs: all.at(-1) ?? NaN,
    byPath,
    feedMessages: r.feedMessages,
  };
}

export async function startDashboardLoad(start: Extract<LoadRequest, { type: 'start' }>) {
  const worker = tsWorker(new URL('./dashboard-load.ts', import.meta.url));
  const results: Array<(r: LoadResult) => void> = [];
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (m: LoadMessage) => {
      if (m.type === 'started') resolve();
      else if (m.type === 'error') reject(new Error(`dashboard load: ${m.message}`));
      else results.shift()?.(m.result);
    });
    worker.on('error', reject);
    worker.postMessage(start);
  });
  const ask = (req: LoadRequest) =>
    new Promise<ApiFigures>((resolve) => {
      results.push((r) => resolve(figures(r)));
      worker.postMessage(req);
    });
  return {
    /** The timings since the previous lap. */
    lap: () => ask({ type: 'lap' }),
    /** The timings since the last lap, and the end of the load. */
    async stop() {
      const last = await ask({ type: 'stop' });
      await worker.terminate();
      return last;
    },
    terminate: () => worker.terminate(),
  };
}
