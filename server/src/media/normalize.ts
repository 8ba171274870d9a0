// Upload → loudness-normalized mono 48 kHz Ogg/Opus in the content-addressed store (issue #6).
//
// Not ffmpeg's two-pass `loudnorm`: it works at 192 kHz and costs more than the encode itself.
// Instead: one decode measures (loudness.ts); the limiter's loudness cost is measured on excerpts
// (predict.ts); the encode pass trims the silence, applies one gain and a look-ahead limiter in
// front of the encoder, and the stored file is measured as the units will play it while it is
// written (encode.ts). A file that still misses the target by more than half a LU, or peaks above
// the ceiling, is encoded once more with the measured error taken off. What still misses after the
// last try (or a gain stopped at its cap) is stored with warnings (warnings.ts), never silently.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FfmpegTools } from './ffmpeg.js';
import { encodeMeasured } from './encode.js';
import { analyse, type Analysis, type Loudness } from './loudness.js';
import { encodeFilter, type Recipe } from './normalize-filters.js';
import { predictGain } from './predict.js';
import { probe } from './probe.js';
import { MAX_GAIN_DB, normalizationWarnings, type MediaWarning } from './warnings.js';

export { encodeFilter, opusArgs, type Content, type Recipe } from './normalize-filters.js';

/** Everything that shapes the output: the same original through the same recipe is the same media. */
export function recipeKey(r: Recipe): string {
  return `v1;I=${r.loudnessTarget};TP=${r.truePeakCeiling};${r.content};${r.kbps}k`;
}

/** Half the tolerance the issue allows (±1 LU): room for the measuring instrument itself. */
const RETRY_LU = 0.5;
/** Opus at speech bitrates takes about 0.3 LU off speech (measured: 0.2–0.4): given back up front. */
const CODEC_LOSS_LU = 0.3;
/** The first encode, and at most two corrections for material the limiter must work hard on. */
const MAX_ENCODES = 3;
/** Progress (percent) of each encode (measured as it goes); analysis and prediction take 0–17. */
const STAGES = [
  [17, 87],
  [87, 93],
  [93, 99],
] as const;

export interface Normalized {
  sha256: string;
  bytes: number;
  durationMs: number;
  input: Analysis;
  output: Loudness;
  gainDb: number;
  /** Each encode pass it took (one, or more for material the limiter works hard on), for the log. */
  encodes: Array<{ gainDb: number; limitDb: number; lufs: number; truePeak: number }>;
  /** What the stored file misses of the recipe, if anything. */
  warnings: MediaWarning[];
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const clampGain = (g: number) => Math.max(-MAX_GAIN_DB, Math.min(MAX_GAIN_DB, g));
const round2 = (x: number) => Math.round(x * 100) / 100;

/** How far a result is from what was asked: loudness error, and peaks over the ceiling weigh more. */
const miss = (o: Loudness, r: Recipe) =>
  Math.abs(o.integratedLufs - r.loudnessTarget) + 3 * Math.max(0, o.peakDb - r.truePeakCeiling);

export async function normalizeToStore(
  tools: FfmpegTools,
  input: string,
  mediaDir: string,
  recipe: Recipe,
  opts: {
    maxSeconds: number;
    /** Declared length from the probe; a file that decodes shorter is refused as cut off. */
    declaredMs: number | undefined;
    signal?: AbortSignal;
    /** 0–100 over the whole job. */
    onProgress?: (percent: number) => void;
  },
): Promise<Normalized> {
  const report = (from: number, to: number, total: number) => (s: number) =>
    opts.onProgress?.(from + (to - from) * Math.min(1, total > 0 ? s / total : 0));
  const declared = opts.declaredMs === undefined ? 0 : opts.declaredMs / 1000;
  const analysis = await analyse(tools, input, {
    maxSeconds: opts.maxSeconds,
    declaredMs: opts.declaredMs,
    signal: opts.signal,
    onProgress: report(0, 15, declared),
  });
  const kept = analysis.keepTo - analysis.keepFrom;
  // Opus overshoots a sample-peak limiter: by 1.4 dB on a 10-minute bulletin at 32 and at 48 kb/s
  // (its coding noise on top of limited peaks), so the limiter sits 2 dB under the ceiling.
  const margin = 2.0;
  let limitDb = recipe.truePeakCeiling - margin;
  const prediction = await predictGain(tools, input, analysis, recipe.loudnessTarget, limitDb, opts.signal);
  let gainDb = clampGain(prediction.gainDb + CODEC_LOSS_LU);
  opts.onProgress?.(STAGES[0][0]);

  await mkdir(join(mediaDir, 'tmp'), { recursive: true });
  const stem = join(mediaDir, 'tmp', randomBytes(8).toString('hex'));
  const attempts: Array<{ file: string; gainDb: number; limitDb: number; output: Loudness }> = [];
  const files: string[] = [];
  try {
    for (let k = 0; k < MAX_ENCODES; k++) {
      const [from, to] = STAGES[k]!;
      const file = `${stem}.${k}.ogg`;
      files.push(file);
      const filter = encodeFilter(analysis, gainDb, limitDb);
      const output = await encodeMeasured(tools, input, file, filter, recipe, opts.signal, report(from, to, kept));
      attempts.push({ file, gainDb, limitDb, output });
      const error = recipe.loudnessTarget - output.integratedLufs;
      const over = output.peakDb - recipe.truePeakCeiling;
      if (Math.abs(error) <= RETRY_LU && over <= 0) break;
      // Loudness rises less than the gain once the limiter works: the slope between the last two
      // tries, or a guess from whether this one touched the limiter.
      const prev = attempts[attempts.length - 2];
      const slope =
        prev && Math.abs(gainDb - prev.gainDb) > 0.05
          ? (output.integratedLufs - prev.output.integratedLufs) / (gainDb - prev.gainDb)
          : output.peakDb < limitDb - 0.5
            ? 1
            : prediction.slope;
      gainDb = clampGain(gainDb + error / Math.max(0.2, Math.min(1, slope)));
      limitDb -= Math.max(0, over + 0.2);
    }
    const best = attempts.reduce((a, b) => (miss(b.output, recipe) < miss(a.output, recipe) ? b : a));
    const chosen = best.file;
    const output = best.output;
    gainDb = best.gainDb;
    const sha256 = await sha256File(chosen);
    const bytes = (await stat(chosen)).size;
    const out = await probe(tools, chosen, opts.maxSeconds + 1);
    await rename(chosen, join(mediaDir, `${sha256}.ogg`));
    opts.onProgress?.(100);
    return {
      sha256,
      bytes,
      durationMs: out.durationMs ?? Math.round(kept * 1000),
      input: analysis,
      output,
      gainDb,
      warnings: normalizationWarnings(
        { outputLufs: output.integratedLufs, outputTruePeakDbtp: output.peakDb, gainDb },
        recipe,
      ),
      encodes: attempts.map((a) => ({
        gainDb: round2(a.gainDb),
        limitDb: round2(a.limitDb),
        lufs: a.output.integratedLufs,
        truePeak: a.output.peakDb,
      })),
    };
  } finally {
    for (const f of files) await rm(f, { force: true });
  }
}
