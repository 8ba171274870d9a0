// The voices on offer and who speaks each: the HTTP service first when a province configured one
// (it is what they chose and pay for), then espeak-ng's built-in Vietnamese voices.
import { HttpError } from '../../http-error.js';
import type { MediaConfig } from '../../config.js';
import { espeakProvider } from './espeak.js';
import { httpTtsProvider } from './http.js';
import type { TtsProvider, TtsVoice } from './provider.js';

export function ttsService(config: MediaConfig['tts'], maxBytes: number, providers?: TtsProvider[]) {
  const all = providers ?? [...(config.http ? [httpTtsProvider(config.http, maxBytes)] : []), espeakProvider()];
  const byVoice = new Map<string, TtsProvider>();
  for (const p of all) for (const v of p.voices()) if (!byVoice.has(v.id)) byVoice.set(v.id, p);

  return {
    voices(): TtsVoice[] {
      return all.flatMap((p) => p.voices()).filter((v) => byVoice.get(v.id)?.name === v.provider);
    },
    defaultVoice(): string | undefined {
      return byVoice.keys().next().value;
    },
    /** Checks a request before it is queued: clean text within the limit, a voice that exists. */
    check(text: string, voice: string | undefined): { text: string; voice: string } {
      const clean = text.replace(/\s+/g, ' ').trim();
      if (!clean) throw new HttpError(400, 'text-required', 'Write the text of the bulletin to read aloud.', 'text');
      if (clean.length > config.maxChars)
        throw new HttpError(
          400,
          'text-too-long',
          `The text has ${clean.length} characters; at most ${config.maxChars} can be read aloud at once. Split it into several bulletins.`,
          'text',
        );
      const chosen = voice ?? this.defaultVoice();
      if (!chosen)
        throw new HttpError(
          503,
          'tts-missing',
          'No text-to-speech voice is available. Install espeak-ng (`sudo apt-get install espeak-ng`) or configure TTS_HTTP_URL, then restart the server.',
        );
      if (!byVoice.has(chosen))
        throw new HttpError(
          400,
          'unknown-voice',
          `There is no voice "${chosen}". Choose one of: ${[...byVoice.keys()].join(', ')}.`,
          'voice',
        );
      return { text: clean, voice: chosen };
    },
    synthesize(text: string, voice: string, out: string, signal?: AbortSignal): Promise<void> {
      const provider = byVoice.get(voice);
      if (!provider) throw new HttpError(400, 'unknown-voice', `There is no voice "${voice}".`, 'voice');
      return provider.synthesize(text, voice, out, signal);
    },
  };
}
export type TtsService = ReturnType<typeof ttsService>;
