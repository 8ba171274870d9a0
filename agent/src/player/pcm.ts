// The one PCM format inside the agent: mono, 48 kHz, signed 16-bit little-endian. Every sink takes
// it, so timing is arithmetic on byte counts.
export const SAMPLE_RATE = 48_000;
export const BYTES_PER_SAMPLE = 2;
/** 20 ms: the pacing step, and the resolution of a stop or a volume change. */
export const CHUNK_SAMPLES = 960;
export const CHUNK_BYTES = CHUNK_SAMPLES * BYTES_PER_SAMPLE;

export function samplesToMs(samples: number): number {
  return (samples * 1000) / SAMPLE_RATE;
}

/** Scales samples by `gain` (0…1) into a new buffer; the decoder's buffer is left untouched. */
export function applyGain(pcm: Buffer, gain: number): Buffer {
  if (gain >= 1) return pcm;
  const out = Buffer.alloc(pcm.length - (pcm.length % BYTES_PER_SAMPLE));
  if (gain <= 0) return out;
  for (let i = 0; i < out.length; i += BYTES_PER_SAMPLE) {
    out.writeInt16LE(Math.round(pcm.readInt16LE(i) * gain), i);
  }
  return out;
}
