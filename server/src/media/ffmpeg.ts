// Finding ffmpeg: FFMPEG_PATH, then ffmpeg-static's binary where its download worked, then the PATH.
// With none, ingest is refused with the exact package to install.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface FfmpegTools {
  ffmpeg: string;
  ffprobe: string;
}

export const FFMPEG_MISSING =
  'ffmpeg was not found. Install it (Debian/Ubuntu/Raspberry Pi OS: `sudo apt-get install ffmpeg`), ' +
  'or set FFMPEG_PATH to the ffmpeg program; then restart the server.';

function works(bin: string, env: Record<string, string | undefined>): boolean {
  try {
    return spawnSync(bin, ['-version'], { stdio: 'ignore', timeout: 10_000, env }).status === 0;
  } catch {
    return false;
  }
}

function fromFfmpegStatic(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const path = require('ffmpeg-static') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : undefined;
  } catch {
    return undefined; // an optional dependency whose download could not run
  }
}

export function findFfmpeg(env: Record<string, string | undefined> = process.env): FfmpegTools | undefined {
  const candidates = [env.FFMPEG_PATH, env.LOA_NO_FFMPEG_STATIC ? undefined : fromFfmpegStatic(), 'ffmpeg'].filter(
    (c): c is string => !!c,
  );
  for (const ffmpeg of candidates) {
    if (!works(ffmpeg, env)) continue;
    // ffprobe sits beside ffmpeg in every distribution we know; ffmpeg-static has none, so fall
    // back to the PATH's.
    const sibling = ffmpeg.includes('/') ? join(dirname(ffmpeg), 'ffprobe') : 'ffprobe';
    const ffprobe = env.FFPROBE_PATH ?? (works(sibling, env) ? sibling : 'ffprobe');
    if (!works(ffprobe, env)) continue;
    return { ffmpeg, ffprobe };
  }
  return undefined;
}
