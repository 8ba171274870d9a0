// Real audio for tests, made by the real ffmpeg: a sine encoded as Ogg/Opus, like the server's
// normalized media.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MediaRef } from '@loa/shared';

const run = promisify(execFile);

export interface TestMedia {
  path: string;
  bytes: Buffer;
  ref: MediaRef;
}

export async function makeSine(dir: string, seconds: number, frequency = 440): Promise<TestMedia> {
  const path = join(dir, `sine-${frequency}-${seconds}.ogg`);
  await run('ffmpeg', [
    '-nostdin',
    '-y',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${frequency}:duration=${seconds}`,
    '-ac',
    '1',
    '-ar',
    '48000',
    '-c:a',
    'libopus',
    path,
  ]);
  const bytes = await readFile(path);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { path, bytes, ref: { sha256, bytes: bytes.length, durationMs: Math.round(seconds * 1000) } };
}

/** Duration of a WAV file from its header and size, in ms. */
export function wavDurationMs(wav: Buffer): number {
  const rate = wav.readUInt32LE(24);
  const blockAlign = wav.readUInt16LE(32);
  const dataBytes = wav.readUInt32LE(40);
  return (dataBytes / blockAlign / rate) * 1000;
}
