// Text to speech behind one small interface (issue #6): the built-in espeak-ng with its Vietnamese
// voices, or a commercial Vietnamese TTS over HTTP that a province configures. Whatever speaks, the
// audio then goes through the same ingest as an upload (probe, loudness, Opus) and is stored with
// its text.

export interface TtsVoice {
  /** What a request names: `vi`, `vi-vn-x-south`, or a voice of the HTTP service. */
  id: string;
  /** For people: "Giọng miền Bắc (espeak-ng)". */
  name: string;
  provider: string;
}

export interface TtsProvider {
  readonly name: string;
  voices(): TtsVoice[];
  /** Writes `text` spoken by `voice` as an audio file at `out` (any format ingest accepts). */
  synthesize(text: string, voice: string, out: string, signal?: AbortSignal): Promise<void>;
}
