// Real audio for tests: ffmpeg's lavfi sources and espeak-ng's Vietnamese voice.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export function makeTone(dir: string, seconds: number, name = 'tone.mp3', frequency = 440): string {
  const out = join(dir, name);
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${frequency}:duration=${seconds}`,
    '-ac',
    '1',
    out,
  ]);
  return out;
}

export function makeVietnameseSpeech(dir: string, text: string, name = 'speech.wav'): string {
  const out = join(dir, name);
  execFileSync('espeak-ng', ['-v', 'vi', '-w', out, text]);
  return out;
}

/** Duration of an audio file in ms, measured by ffprobe from its samples. */
export function durationMs(file: string): number {
  const out = execFileSync('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'format=duration',
    '-of',
    'csv=p=0',
    file,
  ]).toString();
  return Math.round(Number(out.trim()) * 1000);
}
