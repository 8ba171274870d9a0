// Upload → probe → transcode to mono 48 kHz Ogg/Opus → content-addressed store (DESIGN §4 Media).
// Loudness normalization and the full list of formats come with the media pipeline issue (#6).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HttpError } from '../http-error.js';
import { FFMPEG_MISSING, type FfmpegTools } from './ffmpeg.js';

export interface ProbeResult {
  format: string;
  durationMs: number;
  audioCodec: string;
}

function run(
  bin: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 20_000) stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const NOT_AUDIO = 'The file is not audio that can be played. Upload an audio file such as MP3, WAV, M4A, OGG or FLAC.';

export async function probe(tools: FfmpegTools, path: string): Promise<ProbeResult> {
  const { code, stdout } = await run(
    tools.ffprobe,
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path],
    60_000,
  );
  if (code !== 0) throw new HttpError(415, 'not-audio', NOT_AUDIO);
  let info: {
    format?: { format_name?: string; duration?: string };
    streams?: Array<{ codec_type?: string; codec_name?: string; duration?: string }>;
  };
  try {
    info = JSON.parse(stdout) as typeof info;
  } catch {
    throw new HttpError(415, 'not-audio', NOT_AUDIO);
  }
  const audio = info.streams?.find((s) => s.codec_type === 'audio');
  // Images (PNG, JPEG) probe as a one-frame "video"; text is rejected by ffprobe itself.
  if (!audio) throw new HttpError(415, 'not-audio', NOT_AUDIO);
  const seconds = Number(audio.duration ?? info.format?.duration);
  if (!Number.isFinite(seconds) || seconds <= 0.05) {
    throw new HttpError(
      422,
      'empty-audio',
      'The file holds no audible length of audio. Check the recording and upload it again.',
    );
  }
  return {
    format: info.format?.format_name ?? 'unknown',
    durationMs: Math.round(seconds * 1000),
    audioCodec: audio.codec_name ?? 'unknown',
  };
}

export interface StoredMedia {
  sha256: string;
  bytes: number;
  durationMs: number;
  codec: string;
}

/** Transcodes `input` into the media store; returns the content address of the result. */
export async function transcodeToStore(tools: FfmpegTools, input: string, mediaDir: string): Promise<StoredMedia> {
  await mkdir(join(mediaDir, 'tmp'), { recursive: true });
  const tmp = join(mediaDir, 'tmp', `${randomBytes(8).toString('hex')}.ogg`);
  try {
    const { code, stderr } = await run(
      tools.ffmpeg,
      // -map_metadata -1 and -fflags +bitexact keep the output a function of the audio alone, so
      // the same upload twice lands on the same hash.
      [
        '-hide_banner',
        '-nostdin',
        '-y',
        '-i',
        input,
        '-vn',
        '-map_metadata',
        '-1',
        '-ac',
        '1',
        '-ar',
        '48000',
        '-c:a',
        'libopus',
        '-b:a',
        '32k',
        '-application',
        'voip',
        '-fflags',
        '+bitexact',
        '-flags:a',
        '+bitexact',
        '-f',
        'ogg',
        tmp,
      ],
      30 * 60_000,
    );
    if (code !== 0) {
      const last = stderr.trim().split('\n').slice(-2).join(' ');
      throw new HttpError(
        422,
        'transcode-failed',
        `The audio could not be decoded (${last.slice(0, 200)}). The file may be damaged: export it again and upload it.`,
      );
    }
    const sha256 = await sha256File(tmp);
    const bytes = (await stat(tmp)).size;
    const out = await probe(tools, tmp);
    await rename(tmp, join(mediaDir, `${sha256}.ogg`));
    return { sha256, bytes, durationMs: out.durationMs, codec: 'opus' };
  } finally {
    await rm(tmp, { force: true });
  }
}

export function ffmpegOrThrow(tools: FfmpegTools | undefined): FfmpegTools {
  if (!tools) throw new HttpError(503, 'ffmpeg-missing', FFMPEG_MISSING);
  return tools;
}
