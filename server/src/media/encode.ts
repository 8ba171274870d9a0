// The encode pass, measured as it is written (issue #6). ffmpeg's tee muxer writes the Ogg/Opus
// file and, packet for packet, the same stream down a pipe to a second ffmpeg that decodes it and
// measures loudness and true peak — what the units will play, not what went into the encoder (Opus
// adds about 1.5 dB of peak on limited speech). The decoder keeps pace with the encoder, so the
// measurement costs almost no time after the encode ends.
import { spawn } from 'node:child_process';
import { HttpError } from '../http-error.js';
import type { FfmpegTools } from './ffmpeg.js';
import { measure, parseSummary, type Loudness } from './loudness.js';
import { opusArgs, type Recipe } from './normalize-filters.js';
import { SAFE_INPUT } from './probe.js';
import { AbortedError, progressLines } from './run.js';

function encodeArgs(input: string, out: string, filter: string, recipe: Recipe): string[] {
  // Each output of the tee gets the same muxer options: a bit-exact Ogg (fixed serial), no metadata.
  const ogg = 'f=ogg:fflags=+bitexact';
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-v',
    'error',
    '-threads',
    '1',
    '-filter_threads',
    '1',
    ...SAFE_INPUT,
    '-i',
    input,
    '-map',
    '0:a:0',
    '-af',
    filter,
    ...opusArgs(recipe),
    '-progress',
    'pipe:1',
    '-f',
    'tee',
    `[${ogg}]${out.replace(/[[\]|\\:]/g, '\\$&')}|[${ogg}]pipe:3`,
  ];
}

const MEASURE = ['-hide_banner', '-nostdin', '-nostats', '-v', 'info', '-threads', '1', '-f', 'ogg', '-i', 'pipe:0'];

/** Encodes `input` to `out` with `filter`, and returns the loudness of `out` as decoded. */
export async function encodeMeasured(
  tools: FfmpegTools,
  input: string,
  out: string,
  filter: string,
  recipe: Recipe,
  signal: AbortSignal | undefined,
  onProgress: (seconds: number) => void,
): Promise<Loudness> {
  if (signal?.aborted) throw new AbortedError();
  const meter = spawn(tools.ffmpeg, [...MEASURE, '-af', 'ebur128=peak=true:framelog=verbose', '-f', 'null', '-'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let meterErr = '';
  meter.stderr!.on('data', (d: Buffer) => (meterErr = (meterErr + d.toString()).slice(-16_000)));
  meter.stdin!.on('error', () => undefined); // a meter that died early: the file is measured after
  const metered = new Promise<number | null>((resolve) => {
    meter.on('error', () => resolve(-1));
    meter.on('close', resolve);
  });

  const encoder = spawn(tools.ffmpeg, encodeArgs(input, out, filter, recipe), {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  const onAbort = () => {
    encoder.kill('SIGKILL');
    meter.kill('SIGKILL');
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(onAbort, 60 * 60_000);
  let encErr = '';
  encoder.stderr!.on('data', (d: Buffer) => (encErr = (encErr + d.toString()).slice(-8000)));
  const progress = progressLines(onProgress);
  let rest = '';
  encoder.stdout!.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) progress(l);
  });
  (encoder.stdio[3] as NodeJS.ReadableStream).pipe(meter.stdin!);
  const encoded = await new Promise<number | null>((resolve) => {
    encoder.on('error', () => resolve(-1));
    encoder.on('close', resolve);
  });
  const meterCode = await metered;
  clearTimeout(timer);
  signal?.removeEventListener('abort', onAbort);
  if (signal?.aborted) throw new AbortedError();
  if (encoded !== 0) {
    const last = encErr.trim().split('\n').slice(-2).join(' ');
    throw new HttpError(
      422,
      'transcode-failed',
      `The audio could not be converted (${last.slice(0, 200)}). The file may be damaged: export it again and upload it.`,
    );
  }
  const loudness = meterCode === 0 ? parseSummary(meterErr) : undefined;
  return loudness ?? measure(tools, out, signal);
}
