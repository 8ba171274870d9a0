// The filters and encoder settings of the encode pass (normalize.ts) and of the gain prediction
// (predict.ts): one place, so what is predicted is exactly what is encoded.
import { MONO_48K, type Analysis } from './loudness.js';

export type Content = 'speech' | 'music';

export interface Recipe {
  loudnessTarget: number;
  truePeakCeiling: number;
  content: Content;
  kbps: number;
}

const dbToLinear = (db: number) => Math.pow(10, db / 20);

/** A look-ahead limiter with its delay compensated; `limit` is linear and at least 0.0625 (−24 dBFS). */
export function limiterFilter(limitDb: number): string {
  const limit = Math.max(0.0625, Math.min(1, dbToLinear(limitDb)));
  return `alimiter=limit=${limit.toFixed(4)}:level=false:latency=1:attack=5:release=50`;
}

/** The encode pass's filters: trim, one gain, a limiter. Numbers are rounded so output is reproducible. */
export function encodeFilter(
  a: Pick<Analysis, 'keepFrom' | 'keepTo' | 'decodedSeconds'>,
  gainDb: number,
  limitDb: number,
) {
  const parts = [MONO_48K];
  if (a.keepFrom > 0 || a.keepTo < a.decodedSeconds) {
    const from = Math.round(a.keepFrom * 48000);
    const to = Math.round(a.keepTo * 48000);
    parts.push(`atrim=start_sample=${from}:end_sample=${to}`, 'asetpts=N/SR/TB');
  }
  parts.push(`volume=${gainDb.toFixed(2)}dB`, limiterFilter(limitDb));
  return parts.join(',');
}

/** Encoder and muxing settings of the stored Opus (the output format, Ogg, is given by the caller). */
export function opusArgs(r: Pick<Recipe, 'content' | 'kbps'>): string[] {
  return [
    '-c:a',
    'libopus',
    '-b:a',
    `${r.kbps}k`,
    // `audio`, not `voip`, for speech too: voip's speech shaping overshoots the limiter by 2 dB and
    // more at 32 kb/s, which the true-peak ceiling cannot afford; loudspeakers want the voice as is.
    '-application',
    'audio',
    // No metadata and bit-exact muxing (a fixed Ogg serial): the output is a function of the audio
    // alone, so the same upload twice lands on the same hash.
    '-map_metadata',
    '-1',
    '-fflags',
    '+bitexact',
    '-flags:a',
    '+bitexact',
  ];
}
