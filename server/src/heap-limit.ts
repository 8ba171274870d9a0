// Issue #10: how far V8 lets the server's heaps grow between collections. V8 sets a heap's next
// collection at its live data times a growing factor, and gives the largest factor (4) to a heap
// whose limit is 2 GB or more, as Node's default is on a machine of 8 GB or more. At 5,000 units the
// control plane holds ~50 MB live and its heap grew to 120 MB between collections (a sawtooth of
// 70 MB in the server's RSS every two minutes; the broker thread's the same). Under a 1 GB limit
// the factor is at most ~1.7: in a plain test of 50 MB live data with churn, the peak heap went
// from 127 to 50 MB in use and the RSS from 199 to 125 MB (1.5 GB: 71 MB; 2 GB: 120 MB again).
// 1 GB is ten times what a province's server holds; a server that reached it would stop with an
// out-of-memory error and be restarted (systemd), which is the right end for a leak. The same holds
// for a broker node (`npm run broker`). The limit is a process flag, read when V8 starts (the
// broker's worker thread gets the same limit from it), so `npm start` sets it, in NODE_OPTIONS where
// an operator's own value comes later and wins, and a server started another way is told.
import { getHeapStatistics } from 'node:v8';

/** The limit `npm start` gives the server's heap, MB (server/package.json). */
export const HEAP_LIMIT_MB = 1024;
export const HEAP_LIMIT_FLAG = `--max-old-space-size=${HEAP_LIMIT_MB}`;
/** At or above this limit V8 grows a heap to four times its live data (its heap controller). */
const LARGE_HEAP_MB = 2048;

/** The heap limit this process runs with, MB. */
export const heapLimitMb = () => Math.round(getHeapStatistics().heap_size_limit / 2 ** 20);

/** What to tell the operator when the heap was left at a limit that lets it grow fourfold. */
export function heapLimitAdvice(limitMb: number): string | undefined {
  if (limitMb < LARGE_HEAP_MB) return undefined;
  return (
    `The server's heap limit is ${limitMb} MB: V8 lets a heap with a limit of 2 GB or more grow to ` +
    `four times its live data before collecting it, ~70 MB more RSS at 5,000 units. Start the ` +
    `server with NODE_OPTIONS=${HEAP_LIMIT_FLAG} (npm start does; in a systemd unit: ` +
    `Environment=NODE_OPTIONS=${HEAP_LIMIT_FLAG}).`
  );
}
