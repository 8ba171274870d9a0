// How much gain brings a programme to the target once the limiter has taken its share (issue #6).
// Gain alone is T − I; but most raw speech peaks 15–20 dB above its loudness, more than the 12.5 dB
// that −16 LUFS under a −2.5 dBFS limiter allows, and the limiter's gain reduction costs loudness
// — from a few tenths of a LU for a clean recording to several LU for synthetic speech. Guessing
// wrong costs a whole second encode, so the loss is measured before encoding, on excerpts: the
// same limiter at the plain gain and 4 dB above it, on ten 6-second slices spread over the
// programme (a few percent of a full decode), and the gain is solved between the two.
import type { FfmpegTools } from './ffmpeg.js';
import { MONO_48K, type Analysis } from './loudness.js';
import { limiterFilter } from './normalize-filters.js';
import { SAFE_INPUT } from './probe.js';
import { run } from './run.js';

const SLICES = 10;
const SLICE_SECONDS = 6;
const STEP_DB = 4;
/** Past this the prediction is extrapolating far; the measured correction will finish the job. */
const MAX_EXTRA_DB = 12;

export interface Prediction {
  gainDb: number;
  /** LU of output per dB of gain around that gain (1 when the limiter does not act). */
  slope: number;
}

/** The last Summary each ebur128 instance printed, keyed by its filter index. */
export function summariesByFilter(stderr: string): Map<number, number> {
  const out = new Map<number, number>();
  const re = /\[Parsed_ebur128_(\d+) @ [^\]]+\] Summary:[\s\S]*?I:\s+(-?[\d.]+|-inf) LUFS/g;
  for (const m of stderr.matchAll(re)) out.set(Number(m[1]), m[2] === '-inf' ? -Infinity : Number(m[2]));
  return out;
}

export async function predictGain(
  tools: FfmpegTools,
  input: string,
  a: Pick<Analysis, 'integratedLufs' | 'peakDb' | 'keepFrom' | 'keepTo'>,
  target: number,
  limitDb: number,
  signal?: AbortSignal,
): Promise<Prediction> {
  const g0 = target - a.integratedLufs;
  // The loudest sample stays under the limiter's threshold: nothing to predict.
  if (a.peakDb + g0 <= limitDb - 0.5) return { gainDb: g0, slope: 1 };
  const span = a.keepTo - a.keepFrom;
  const inputs: string[] = [];
  if (span <= SLICES * SLICE_SECONDS * 1.5) {
    inputs.push(...SAFE_INPUT, '-ss', a.keepFrom.toFixed(3), '-t', span.toFixed(3), '-i', input);
  } else {
    for (let i = 0; i < SLICES; i++) {
      const start = a.keepFrom + ((span - SLICE_SECONDS) * (i + 0.5)) / SLICES;
      inputs.push(...SAFE_INPUT, '-ss', start.toFixed(3), '-t', String(SLICE_SECONDS), '-i', input);
    }
  }
  const n = inputs.filter((x) => x === '-i').length;
  const joined =
    n > 1 ? `${Array.from({ length: n }, (_, i) => `[${i}:a:0]`).join('')}concat=n=${n}:v=0:a=1,` : '[0:a:0]';
  const meter = 'ebur128=framelog=verbose';
  // Filter indexes (for reading the summaries): concat?, aresample, aformat, asplit, then per branch.
  const graph =
    `${joined}${MONO_48K},asplit=3[plain][at][above];` +
    `[plain]${meter}[out];` +
    `[at]volume=${g0.toFixed(2)}dB,${limiterFilter(limitDb)},${meter},anullsink;` +
    `[above]volume=${(g0 + STEP_DB).toFixed(2)}dB,${limiterFilter(limitDb)},${meter},anullsink`;
  const { code, stderr } = await run(
    tools.ffmpeg,
    [
      '-hide_banner',
      '-nostdin',
      '-nostats',
      '-v',
      'info',
      '-threads',
      '1',
      ...inputs,
      '-filter_complex',
      graph,
      '-map',
      '[out]',
      '-f',
      'null',
      '-',
    ],
    { timeoutMs: 10 * 60_000, signal },
  );
  const found = [...summariesByFilter(stderr).entries()].sort((x, y) => x[0] - y[0]).map(([, i]) => i);
  if (code !== 0 || found.length !== 3 || !found.every(Number.isFinite)) return { gainDb: g0, slope: 0.5 };
  const [plain, at, above] = found as [number, number, number];
  const loss = plain + g0 - at;
  const lossAbove = plain + g0 + STEP_DB - above;
  // Loss grows with gain at rate k; loudness then grows at 1 − k per dB.
  const k = Math.max(0, Math.min(0.8, (lossAbove - loss) / STEP_DB));
  const extra = Math.max(0, Math.min(MAX_EXTRA_DB, loss / (1 - k)));
  return { gainDb: g0 + extra, slope: 1 - k };
}
