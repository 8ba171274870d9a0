// Real audio for the media tests: espeak-ng's Vietnamese voices and ffmpeg's lavfi sources, written
// in the formats operators bring, and an independent loudness meter (ffmpeg's ebur128, run here
// directly, not through the code under test).
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const quiet = ['-hide_banner', '-nostdin', '-v', 'error', '-y'];

export const SENTENCE =
  'Kính thưa bà con nhân dân trong xã. Ủy ban nhân dân xã thông báo lịch tiêm phòng cho gia súc vào sáng thứ bảy tại nhà văn hóa thôn.';

export function speechWav(dir: string, name = 'speech.wav', text = SENTENCE, voice = 'vi', amplitude = 100): string {
  const out = join(dir, name);
  execFileSync('espeak-ng', ['-v', voice, '-a', String(amplitude), '-w', out, text]);
  return out;
}

/** Converts with ffmpeg; `args` are the output options (codec, rate, channels). */
export function convert(input: string, out: string, args: string[] = []): string {
  execFileSync('ffmpeg', [...quiet, '-i', input, ...args, out]);
  return out;
}

export function lavfi(dir: string, name: string, source: string, args: string[] = []): string {
  const out = join(dir, name);
  execFileSync('ffmpeg', [...quiet, '-f', 'lavfi', '-i', source, ...args, out]);
  return out;
}

/** Speech with `head` seconds of silence before and `tail` after (stereo 44.1 kHz WAV). */
export function paddedSpeech(dir: string, head: number, tail: number, name = 'padded.wav'): string {
  const speech = speechWav(dir, `inner-${name}`);
  const out = join(dir, name);
  execFileSync('ffmpeg', [
    ...quiet,
    '-i',
    speech,
    '-af',
    `aresample=44100,adelay=${Math.round(head * 1000)}:all=1,apad=pad_dur=${tail}`,
    '-ac',
    '2',
    out,
  ]);
  return out;
}

/** AMR-NB as phones write it ("#!AMR\n" then 12.2 kb/s frames); there is no AMR encoder in Debian's ffmpeg. */
export function amrFile(dir: string, seconds: number, name = 'phone.amr'): string {
  const frames = Math.round(seconds * 50);
  const parts = [Buffer.from('#!AMR\n')];
  for (let i = 0; i < frames; i++) parts.push(Buffer.from([0x3c]), randomBytes(31));
  const out = join(dir, name);
  writeFileSync(out, Buffer.concat(parts));
  return out;
}

export interface Measured {
  integratedLufs: number;
  truePeakDbtp: number;
}

/** EBU R128 integrated loudness and true peak of a file, as ffmpeg's ebur128 reports them. */
export function ebur128(file: string): Measured {
  const res = spawnSync(
    'ffmpeg',
    [
      '-hide_banner',
      '-nostdin',
      '-nostats',
      '-i',
      file,
      '-af',
      'ebur128=peak=true:framelog=verbose',
      '-f',
      'null',
      '-',
    ],
    { encoding: 'utf8' },
  );
  const summary = res.stderr.slice(res.stderr.lastIndexOf('Summary:'));
  const i = /I:\s+(-?[\d.]+) LUFS/.exec(summary);
  const tp = /Peak:\s+(-?[\d.]+) dBFS/.exec(summary);
  if (!i || !tp) throw new Error(`ebur128 gave no summary for ${file}: ${res.stderr.slice(-400)}`);
  return { integratedLufs: Number(i[1]), truePeakDbtp: Number(tp[1]) };
}

/** codec, sample rate, channels and bitrate of the first audio stream. */
export function streamInfo(file: string): { codec: string; sampleRate: number; channels: number; duration: number } {
  const out = execFileSync('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'a:0',
    '-show_entries',
    'stream=codec_name,sample_rate,channels:format=duration',
    '-of',
    'json',
    file,
  ]).toString();
  const j = JSON.parse(out) as {
    streams: Array<{ codec_name: string; sample_rate: string; channels: number }>;
    format: { duration: string };
  };
  const s = j.streams[0]!;
  return {
    codec: s.codec_name,
    sampleRate: Number(s.sample_rate),
    channels: s.channels,
    duration: Number(j.format.duration),
  };
}

/** Seconds of silence (below −60 dBFS) at the head and the tail, by ffmpeg's silencedetect. */
export function silenceAtEnds(file: string): { head: number; tail: number; duration: number } {
  const duration = streamInfo(file).duration;
  const res = spawnSync(
    'ffmpeg',
    ['-hide_banner', '-nostdin', '-nostats', '-i', file, '-af', 'silencedetect=n=-60dB:d=0.2', '-f', 'null', '-'],
    { encoding: 'utf8' },
  );
  const starts = [...res.stderr.matchAll(/silence_start: (-?[\d.]+)/g)].map((m) => Number(m[1]));
  const ends = [...res.stderr.matchAll(/silence_end: ([\d.]+)/g)].map((m) => Number(m[1]));
  const head = starts[0] !== undefined && starts[0] <= 0.01 ? (ends[0] ?? duration) : 0;
  // The silence running to the end: its start has no end, or (ffmpeg ≥ 5) an end at the last sample.
  const lastStart = starts[starts.length - 1];
  const lastEnd = ends.length === starts.length ? ends[ends.length - 1] : undefined;
  const toTheEnd = lastStart !== undefined && (lastEnd === undefined || Math.abs(lastEnd - duration) < 0.05);
  const tail = toTheEnd ? duration - lastStart : 0;
  return { head, tail, duration };
}
