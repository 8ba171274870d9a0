// Finds ffmpeg: FFMPEG_PATH if set, else `ffmpeg` on PATH. A board without it still runs (plans,
// events, telemetry) and reports `failed` for each item, with the fix in the log.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export const FFMPEG_MISSING = 'ffmpeg not found: install it with `apt-get install ffmpeg` or set FFMPEG_PATH';

export function findFfmpeg(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.FFMPEG_PATH) return executable(env.FFMPEG_PATH) ? env.FFMPEG_PATH : undefined;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'ffmpeg');
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
