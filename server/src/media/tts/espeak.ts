// The built-in engine: espeak-ng, whose Vietnamese voices are the northern (`vi`), central
// (`vi-vn-x-central`) and southern (`vi-vn-x-south`) ones. Robotic, but it needs nothing but a
// Debian package and works without internet. The text goes on stdin, never on the command line.
import { spawnSync } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { HttpError } from '../../http-error.js';
import { run } from '../run.js';
import type { TtsProvider, TtsVoice } from './provider.js';

const NAMES: Record<string, string> = {
  vi: 'Giọng miền Bắc / Northern (espeak-ng)',
  'vi-vn-x-central': 'Giọng miền Trung / Central (espeak-ng)',
  'vi-vn-x-south': 'Giọng miền Nam / Southern (espeak-ng)',
};

/** Announcement pace: a little slower than espeak's 175 words a minute, for loudspeakers outdoors. */
const WORDS_PER_MINUTE = 150;

/** The Vietnamese voices this espeak-ng has, from `espeak-ng --voices=vi`; none when it is missing. */
export function espeakVoices(bin: string): string[] {
  try {
    const res = spawnSync(bin, ['--voices=vi'], { encoding: 'utf8', timeout: 10_000 });
    if (res.status !== 0) return [];
    return res.stdout
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/)[1])
      .filter((v): v is string => !!v && v in NAMES);
  } catch {
    return [];
  }
}

export function espeakProvider(bin = process.env.ESPEAK_PATH || 'espeak-ng'): TtsProvider {
  const ids = espeakVoices(bin);
  const voices: TtsVoice[] = ids.map((id) => ({ id, name: NAMES[id]!, provider: 'espeak-ng' }));
  return {
    name: 'espeak-ng',
    voices: () => voices,
    async synthesize(text, voice, out, signal) {
      if (!ids.includes(voice)) throw new HttpError(400, 'unknown-voice', `espeak-ng has no voice ${voice}.`, 'voice');
      const { code, stderr } = await run(bin, ['-v', voice, '-s', String(WORDS_PER_MINUTE), '--stdin', '-w', out], {
        timeoutMs: 5 * 60_000,
        signal,
        stdin: text,
      });
      const size = await stat(out).then(
        (s) => s.size,
        () => 0,
      );
      if (code !== 0 || size <= 44) throw new Error(`espeak-ng failed (exit ${code}): ${stderr.trim().slice(0, 200)}`);
    },
  };
}
