// What an operator may upload (issue #6): mp3, wav, m4a/aac, ogg/opus, flac, webm (browser
// recordings), amr/3gp (phone recordings). ffprobe and ffmpeg open uploads with only these
// demuxers and only the `file` protocol: a playlist or a concat script renamed .mp3 can make ffmpeg
// read other files or fetch URLs, so nothing outside the list is ever parsed.
import { HttpError } from '../http-error.js';
import type { FfmpegTools } from './ffmpeg.js';
import { run } from './run.js';

export const ACCEPTED_DEMUXERS = [
  'mp3',
  'wav',
  'mov',
  'mp4',
  'm4a',
  '3gp',
  '3g2',
  'mj2',
  'aac',
  'ogg',
  'flac',
  'matroska',
  'webm',
  'amr',
  'amrnb',
  'amrwb',
];

/** Input options for every ffmpeg/ffprobe run on an uploaded file. */
export const SAFE_INPUT = ['-protocol_whitelist', 'file', '-format_whitelist', ACCEPTED_DEMUXERS.join(',')];

export interface ProbeResult {
  format: string;
  audioCodec: string;
  /** Declared by the container, or undefined when it declares none (browser WebM recordings). */
  durationMs: number | undefined;
  channels: number;
  sampleRate: number;
}

export const NOT_AUDIO =
  'The file is not audio that can be played. Upload an audio file such as MP3, WAV, M4A, OGG, FLAC, WebM or AMR.';

export function minutes(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m > 0 ? `${m} min ${s} s` : `${s} s`;
}

export function tooLong(seconds: number, maxSeconds: number): HttpError {
  return new HttpError(
    413,
    'audio-too-long',
    `The recording lasts ${minutes(seconds)}; the server accepts at most ${minutes(maxSeconds)}. Split it into shorter bulletins and upload them one by one.`,
  );
}

export async function probe(tools: FfmpegTools, path: string, maxSeconds: number): Promise<ProbeResult> {
  const { code, stdout, stderr } = await run(
    tools.ffprobe,
    ['-v', 'error', ...SAFE_INPUT, '-print_format', 'json', '-show_format', '-show_streams', path],
    { timeoutMs: 60_000 },
  );
  if (code !== 0) {
    // An MP4/M4A whose index never got written (a recording cut off, a copy interrupted).
    if (/moov atom not found/i.test(stderr))
      throw new HttpError(
        422,
        'corrupt-audio',
        'The recording is incomplete: its index is missing, as when a phone recording or a copy was cut off. Export or copy it again and upload it.',
      );
    throw new HttpError(415, 'not-audio', NOT_AUDIO);
  }
  let info: {
    format?: { format_name?: string; duration?: string };
    streams?: Array<{
      codec_type?: string;
      codec_name?: string;
      duration?: string;
      channels?: number;
      sample_rate?: string;
    }>;
  };
  try {
    info = JSON.parse(stdout) as typeof info;
  } catch {
    throw new HttpError(415, 'not-audio', NOT_AUDIO);
  }
  const audio = info.streams?.find((s) => s.codec_type === 'audio');
  // Images probe as a one-frame "video" (and PNG/JPEG demuxers are not on the list anyway).
  if (!audio) throw new HttpError(415, 'not-audio', NOT_AUDIO);
  const declared = Number(audio.duration ?? info.format?.duration);
  const seconds = Number.isFinite(declared) ? declared : undefined;
  if (seconds !== undefined && seconds <= 0.05) {
    throw new HttpError(
      422,
      'empty-audio',
      'The file holds no audible length of audio. Check the recording and upload it again.',
    );
  }
  if (seconds !== undefined && seconds > maxSeconds) throw tooLong(seconds, maxSeconds);
  return {
    format: info.format?.format_name ?? 'unknown',
    audioCodec: audio.codec_name ?? 'unknown',
    durationMs: seconds === undefined ? undefined : Math.round(seconds * 1000),
    channels: audio.channels ?? 0,
    sampleRate: Number(audio.sample_rate ?? 0),
  };
}
