// A commercial Vietnamese TTS over HTTP, configured by the province (TTS_HTTP_URL, TTS_HTTP_API_KEY,
// TTS_HTTP_VOICES, TTS_HTTP_BODY). The request is a POST of the JSON template with "{{text}}" and
// "{{voice}}" filled in. Services answer either with the audio itself, or with JSON naming a URL where
// the audio will appear (some render asynchronously: that URL is fetched until it is ready).
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { HttpError } from '../../http-error.js';
import type { TtsProvider } from './provider.js';

export interface HttpTtsConfig {
  url: string;
  apiKey: string | undefined;
  voices: string[];
  bodyTemplate: string;
  timeoutMs: number;
}

/** Fills the template: only whole string values "{{text}}"/"{{voice}}" are replaced, so no text can break the JSON. */
export function fillTemplate(template: string, text: string, voice: string): unknown {
  const fill = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replaceAll('{{text}}', text).replaceAll('{{voice}}', voice);
    if (Array.isArray(v)) return v.map(fill);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]));
    return v;
  };
  return fill(JSON.parse(template));
}

const URL_KEYS = ['url', 'audio_url', 'audioUrl', 'async', 'link', 'file'];

function audioUrlIn(json: unknown): string | undefined {
  if (!json || typeof json !== 'object') return undefined;
  const o = json as Record<string, unknown>;
  for (const k of URL_KEYS) if (typeof o[k] === 'string' && /^https?:\/\//.test(o[k])) return o[k];
  return audioUrlIn(o.data);
}

const failed = (why: string) =>
  new HttpError(
    502,
    'tts-failed',
    `The text-to-speech service failed (${why}). Try again in a moment, or choose a built-in espeak-ng voice.`,
  );

async function save(res: Response, out: string, maxBytes: number): Promise<void> {
  let total = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      total += chunk.length;
      done(total > maxBytes ? failed('the audio it sent is too large') : null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(res.body as WebReadableStream), cap, createWriteStream(out));
}

const isAudio = (res: Response) =>
  /^(audio\/|application\/octet-stream|video\/)/i.test(res.headers.get('content-type') ?? '');

export function httpTtsProvider(config: HttpTtsConfig, maxBytes: number): TtsProvider {
  const voices = config.voices.map((id) => ({ id, name: `${id} (${new URL(config.url).host})`, provider: 'http' }));
  return {
    name: 'http',
    voices: () => voices,
    async synthesize(text, voice, out, signal) {
      const timeout = AbortSignal.timeout(config.timeoutMs);
      const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: 'audio/*, application/json',
      };
      if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;
      let res: Response;
      try {
        res = await fetch(config.url, {
          method: 'POST',
          headers,
          body: JSON.stringify(fillTemplate(config.bodyTemplate, text, voice)),
          signal: both,
        });
      } catch (err) {
        throw failed(timeout.aborted ? 'no answer in time' : (err as Error).message);
      }
      if (!res.ok) throw failed(`HTTP ${res.status}`);
      if (isAudio(res)) return save(res, out, maxBytes);
      const json = (await res.json().catch(() => undefined)) as unknown;
      const url = audioUrlIn(json);
      if (!url) throw failed('its answer held neither audio nor a link to audio');
      // Rendered asynchronously: the link answers 404 until the audio is ready.
      while (!both.aborted) {
        const audio = await fetch(url, { signal: both }).catch(() => undefined);
        if (audio?.ok && isAudio(audio)) return save(audio, out, maxBytes);
        await new Promise((r) => setTimeout(r, 1000));
      }
      throw failed('the audio was not ready in time');
    },
  };
}
