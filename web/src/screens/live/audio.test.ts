import { describe, expect, it } from 'vitest';
import { Blocks, liveMessage, Resampler, rmsLevel } from './audio.js';

const sine = (n: number, rate: number, freq: number, amp: number, from = 0) =>
  Float32Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * freq * (from + i)) / rate));

describe('live audio arithmetic', () => {
  it('maps the RMS on a -60..0 dBFS scale', () => {
    expect(rmsLevel(new Float32Array(960))).toBe(0);
    expect(rmsLevel(new Float32Array(0))).toBe(0);
    expect(rmsLevel(new Float32Array(960).fill(1))).toBe(1);
    // A full-scale sine is -3 dBFS; one at a tenth of that is -23 dBFS.
    expect(rmsLevel(sine(960, 48000, 1000, 1))).toBeCloseTo(1 - 3.01 / 60, 2);
    expect(rmsLevel(sine(960, 48000, 1000, 0.1))).toBeCloseTo(1 - 23.01 / 60, 2);
    expect(rmsLevel(new Float32Array(960).fill(1e-4))).toBe(0);
  });

  it('cuts any block sizes into exact 960-sample blocks, in order, nothing lost', () => {
    const blocks = new Blocks(960);
    const out: Float32Array[] = [];
    let next = 0;
    for (const size of [128, 480, 1000, 7, 2000, 128, 128, 3]) {
      blocks.push(
        Float32Array.from({ length: size }, () => next++),
        (b) => out.push(b),
      );
    }
    expect(out.map((b) => b.length)).toEqual(out.map(() => 960));
    expect(out.length).toBe(Math.floor(next / 960));
    const flat = out.flatMap((b) => [...b]);
    expect(flat).toEqual(flat.map((_, i) => i));
    // Blocks handed out are not reused afterwards.
    expect(out[0]![0]).toBe(0);
  });

  it('resamples 44.1 kHz to 48 kHz continuously across blocks', () => {
    const r = new Resampler(44100, 48000);
    const input = sine(44100, 44100, 440, 0.5);
    const parts: number[] = [];
    for (let i = 0; i < input.length; i += 441) parts.push(...r.push(input.subarray(i, i + 441)));
    expect(Math.abs(parts.length - 48000)).toBeLessThanOrEqual(2);
    const expected = sine(parts.length, 48000, 440, 0.5);
    let worst = 0;
    for (let i = 0; i < parts.length; i++) worst = Math.max(worst, Math.abs(parts[i]! - expected[i]!));
    expect(worst).toBeLessThan(0.01);
    // The same rate passes through untouched.
    const same = new Float32Array([1, 2, 3]);
    expect(new Resampler(48000, 48000).push(same)).toBe(same);
  });

  it('prefixes each packet with its sequence number, big-endian', () => {
    const msg = liveMessage(0x01020304, new Uint8Array([0xfc, 0xff, 0xfe]));
    expect([...msg]).toEqual([1, 2, 3, 4, 0xfc, 0xff, 0xfe]);
    expect([...liveMessage(2 ** 32 - 1, new Uint8Array([9]))]).toEqual([255, 255, 255, 255, 9]);
  });
});
