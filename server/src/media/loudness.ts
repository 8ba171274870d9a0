// Loudness by EBU R128 with ffmpeg's `ebur128` filter (issue #6). One decode of the upload gives the
// integrated loudness, the loudness range, the sample peak, the decoded length (a file that holds
// less than its header declares was cut off) and the momentary loudness every 100 ms, from which the
// silence at the head and the tail is found relative to the programme's own loudness — so a quiet
// phone recording is not taken for silence, nor the hiss of a noisy one for speech.
import { HttpError } from '../http-error.js';
import type { FfmpegTools } from './ffmpeg.js';
import { SAFE_INPUT, minutes, tooLong } from './probe.js';
import { progressLines, run } from './run.js';

/** Mono at 48 kHz, exactly as the encode pass sees it, so the gain measured is the gain applied. */
export const MONO_48K = 'aresample=48000,aformat=channel_layouts=mono';

/** EBU R128's absolute gate: a programme that never rises above it is silence. */
const ABSOLUTE_GATE = -70;
/** Momentary loudness this far below the integrated loudness counts as silence. */
const SILENCE_BELOW_PROGRAMME = 20;
/** Silence kept at each end (issue #6: trim leading/trailing silence over 0.5 s). */
export const KEPT_SILENCE = 0.5;

export interface Loudness {
  integratedLufs: number;
  lra: number;
  /** Sample peak (analysis) or true peak (measure), dBFS. */
  peakDb: number;
}

export interface Analysis extends Loudness {
  decodedSeconds: number;
  /** Where the kept audio starts and ends, in seconds of the decoded input. */
  keepFrom: number;
  keepTo: number;
  decodeErrors: number;
}

const num = (s: string | undefined) => (s === undefined ? NaN : s === '-inf' ? -Infinity : Number(s));

/** Parses the Summary block ebur128 prints at the end. */
export function parseSummary(stderr: string): Loudness | undefined {
  const at = stderr.lastIndexOf('Summary:');
  if (at < 0) return undefined;
  const s = stderr.slice(at);
  const i = /I:\s+(-?[\d.]+|-inf) LUFS/.exec(s);
  const lra = /LRA:\s+(-?[\d.]+) LU/.exec(s);
  const peak = /Peak:\s+(-?[\d.]+|-inf) dBFS/.exec(s);
  if (!i) return undefined;
  return { integratedLufs: num(i[1]), lra: num(lra?.[1]) || 0, peakDb: peak ? num(peak[1]) : NaN };
}

/** Frame log line of ebur128: `t: 2.09998  TARGET:-23 LUFS  M: -34.1 S:…`. */
const FRAME = /\bt:\s*([\d.]+)\s+TARGET:\S+ LUFS\s+M:\s*(-?[\d.]+|-inf)/;

/**
 * Head and tail to keep, from the momentary loudness (400 ms windows every 100 ms). A window first
 * rises above the threshold within 100 ms of the onset of speech, and last stays above it until
 * 300–400 ms after its end; the estimates below err towards keeping sound.
 */
export function keptRange(
  frames: ReadonlyArray<{ t: number; m: number }>,
  integratedLufs: number,
  duration: number,
): { keepFrom: number; keepTo: number } {
  const threshold = Math.max(ABSOLUTE_GATE, integratedLufs - SILENCE_BELOW_PROGRAMME);
  const first = frames.find((f) => f.m > threshold);
  const last = frames.findLast((f) => f.m > threshold);
  if (!first || !last) return { keepFrom: 0, keepTo: duration };
  const onset = Math.max(0, first.t - 0.2);
  const end = Math.min(duration, last.t - 0.2);
  const keepFrom = onset > KEPT_SILENCE ? onset - KEPT_SILENCE : 0;
  const keepTo = duration - end > KEPT_SILENCE ? end + KEPT_SILENCE : duration;
  return keepTo - keepFrom > 0.1 ? { keepFrom, keepTo } : { keepFrom: 0, keepTo: duration };
}

const DECODE_ERROR = /error|invalid|corrupt|missing|truncat|overread|concealing/i;
const DECODER_LINE = /^(\[(mp[123]|aac|opus|vorbis|flac|pcm|amr|mov|matroska|ogg|wav)|Error while decoding)/i;
/** A few decoder complaints are common in files that play fine (a stray tag, one bad frame). */
const tolerableErrors = (seconds: number) => 5 + (2 * seconds) / 60;

/** The first pass over an upload: measure, find silence, check it decodes to its declared end. */
export async function analyse(
  tools: FfmpegTools,
  input: string,
  opts: {
    maxSeconds: number;
    declaredMs: number | undefined;
    signal?: AbortSignal;
    onProgress?: (seconds: number) => void;
  },
): Promise<Analysis> {
  const frames: Array<{ t: number; m: number }> = [];
  let decodeErrors = 0;
  let decoded = 0;
  const onProgress = progressLines((s) => {
    decoded = s;
    opts.onProgress?.(s);
  });
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
      ...SAFE_INPUT,
      // Never decode much past the limit, whatever the header claims.
      '-t',
      String(opts.maxSeconds + 1),
      '-i',
      input,
      '-map',
      '0:a:0',
      '-af',
      `${MONO_48K},ebur128=peak=sample:framelog=info`,
      '-f',
      'null',
      '-progress',
      'pipe:1',
      '-',
    ],
    {
      timeoutMs: 30 * 60_000,
      signal: opts.signal,
      onStdoutLine: onProgress,
      onStderrLine: (line) => {
        const f = FRAME.exec(line);
        if (f) frames.push({ t: Number(f[1]), m: num(f[2]) });
        else if (DECODER_LINE.test(line) && DECODE_ERROR.test(line)) decodeErrors++;
      },
    },
  );
  const summary = parseSummary(stderr);
  if (code !== 0 || !summary) {
    const last = stderr
      .split('\n')
      .filter((l) => l && !FRAME.test(l))
      .slice(-2)
      .join(' ');
    throw new HttpError(
      422,
      'corrupt-audio',
      `The audio could not be decoded (${last.slice(0, 160)}). The file may be damaged: export it again and upload it.`,
    );
  }
  const duration = frames.length > 0 ? Math.max(decoded, frames[frames.length - 1]!.t) : decoded;
  if (duration > opts.maxSeconds) throw tooLong(duration, opts.maxSeconds);
  if (decodeErrors > tolerableErrors(duration))
    throw new HttpError(
      422,
      'corrupt-audio',
      `The recording is damaged: the decoder found ${decodeErrors} broken places in it, which would air as clicks and gaps. Export or copy it again and upload it.`,
    );
  if (duration <= 0.05)
    throw new HttpError(
      422,
      'empty-audio',
      'The file holds no audible length of audio. Check the recording and upload it again.',
    );
  // A header (MP3 Xing/Info, WAV, FLAC, MP4) that declares more than the file holds: cut off.
  const declared = opts.declaredMs === undefined ? undefined : opts.declaredMs / 1000;
  if (declared !== undefined && duration < declared - Math.max(0.5, declared * 0.02)) {
    throw new HttpError(
      422,
      'truncated-audio',
      `The file is cut off: it declares ${minutes(declared)} of audio but holds only ${minutes(duration)}. It was probably copied or downloaded incompletely; copy it again and upload it.`,
    );
  }
  if (!(summary.integratedLufs > ABSOLUTE_GATE + 0.5)) {
    throw new HttpError(
      422,
      'silent-audio',
      'The recording is silent (or nearly): check the microphone and record it again.',
    );
  }
  return { ...summary, decodedSeconds: duration, decodeErrors, ...keptRange(frames, summary.integratedLufs, duration) };
}

/** Measures a finished file: integrated loudness, loudness range and true peak (4× oversampled). */
export async function measure(
  tools: FfmpegTools,
  file: string,
  signal?: AbortSignal,
  onProgress?: (s: number) => void,
) {
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
      '-i',
      file,
      '-af',
      'ebur128=peak=true:framelog=verbose',
      '-f',
      'null',
      '-progress',
      'pipe:1',
      '-',
    ],
    { timeoutMs: 30 * 60_000, signal, onStdoutLine: progressLines((s) => onProgress?.(s)) },
  );
  const summary = parseSummary(stderr);
  if (code !== 0 || !summary) throw new Error(`measuring ${file} failed: ${stderr.slice(-300)}`);
  return summary;
}
