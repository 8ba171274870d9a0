// The arithmetic of live audio in the browser, apart from any browser API so that it can be tested
// in Node: the level a meter shows, 20 ms blocks from whatever block size the capture gives, a
// resampler for a microphone that does not run at 48 kHz, and the message the server expects.

/** Opus at 48 kHz, one channel: 20 ms is 960 samples. */
export const SAMPLE_RATE = 48_000;
export const FRAME_SAMPLES = 960;

/** The meter's floor: below -60 dBFS the meter is empty (room noise, a muted microphone). */
const FLOOR_DB = -60;

/**
 * The level of a block for a meter, 0..1: its RMS in dBFS mapped linearly from -60 dB (0) to 0 dB
 * (1). A decibel scale, as on a mixing desk: speech at a sensible distance sits around the middle
 * instead of hugging the bottom of the bar.
 */
export function rmsLevel(samples: Float32Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!;
  const rms = Math.sqrt(sum / samples.length);
  if (rms <= 0) return 0;
  const db = 20 * Math.log10(rms);
  return Math.min(1, Math.max(0, (db - FLOOR_DB) / -FLOOR_DB));
}

/** Cuts a stream of sample blocks of any size into blocks of exactly `size` samples. */
export class Blocks {
  private buf: Float32Array<ArrayBuffer>;
  private n = 0;
  constructor(readonly size: number = FRAME_SAMPLES) {
    this.buf = new Float32Array(size);
  }
  /** Calls `out` with each complete block (a new array each time: it may be kept or transferred). */
  push(samples: Float32Array, out: (block: Float32Array<ArrayBuffer>) => void): void {
    let i = 0;
    while (i < samples.length) {
      const k = Math.min(samples.length - i, this.size - this.n);
      this.buf.set(samples.subarray(i, i + k), this.n);
      this.n += k;
      i += k;
      if (this.n === this.size) {
        out(this.buf);
        this.buf = new Float32Array(this.size);
        this.n = 0;
      }
    }
  }
}

/**
 * Linear-interpolation resampler, continuous across blocks. Good enough for speech on a horn
 * loudspeaker; used only where the browser cannot give 48 kHz itself.
 */
export class Resampler {
  private readonly step: number;
  /** Position of the next output sample, in input samples, relative to the current block. */
  private pos = 0;
  private last = 0;
  constructor(
    readonly from: number,
    readonly to: number,
  ) {
    this.step = from / to;
  }
  push(input: Float32Array): Float32Array {
    if (this.from === this.to) return input;
    const out: number[] = [];
    // Index -1 is the last sample of the previous block.
    const at = (i: number) => (i < 0 ? this.last : input[i]!);
    while (this.pos <= input.length - 1) {
      const i = Math.floor(this.pos);
      const f = this.pos - i;
      const a = at(i);
      const b = i + 1 <= input.length - 1 ? at(i + 1) : a;
      out.push(a + (b - a) * f);
      this.pos += this.step;
    }
    this.pos -= input.length;
    if (input.length) this.last = input[input.length - 1]!;
    return Float32Array.from(out);
  }
}

/** One WebSocket message: a 4-byte big-endian sequence number, then one Opus packet. */
export function liveMessage(seq: number, packet: Uint8Array): Uint8Array<ArrayBuffer> {
  const msg = new Uint8Array(4 + packet.length);
  new DataView(msg.buffer).setUint32(0, seq >>> 0, false);
  msg.set(packet, 4);
  return msg;
}
