import { describe, expect, it } from 'vitest';
import { keptRange, parseSummary } from './loudness.js';
import { encodeFilter, recipeKey } from './normalize.js';

const SUMMARY = `[Parsed_ebur128_0 @ 0x55] Summary:

  Integrated loudness:
    I:         -19.1 LUFS
    Threshold: -29.1 LUFS

  Loudness range:
    LRA:         1.1 LU
    Threshold: -39.1 LUFS
    LRA low:   -19.7 LUFS
    LRA high:  -18.5 LUFS

  True peak:
    Peak:        0.1 dBFS`;

/** Momentary loudness every 100 ms: silence, then speech from `on` to `off` seconds, then silence. */
function frames(duration: number, on: number, off: number, speech = -18, floor = -120) {
  const out = [];
  for (let t = 0.1; t <= duration + 1e-9; t += 0.1) {
    const windowHasSpeech = t > on && t - 0.4 < off;
    out.push({ t: Math.round(t * 10) / 10, m: windowHasSpeech ? speech : floor });
  }
  return out;
}

describe('reading ebur128', () => {
  it('takes integrated loudness, range and peak from the summary', () => {
    expect(parseSummary(SUMMARY)).toEqual({ integratedLufs: -19.1, lra: 1.1, peakDb: 0.1 });
    expect(parseSummary('no summary here')).toBeUndefined();
  });
});

describe('silence at the ends (trim what is over 0.5 s)', () => {
  it('keeps about half a second before the first and after the last sound', () => {
    const r = keptRange(frames(21, 2.07, 17.78), -18, 21);
    expect(r.keepFrom).toBeGreaterThan(2.07 - 0.5 - 0.25);
    expect(r.keepFrom).toBeLessThanOrEqual(2.07 - 0.5);
    expect(r.keepTo).toBeGreaterThanOrEqual(17.78 + 0.5);
    expect(r.keepTo).toBeLessThan(17.78 + 0.5 + 0.35);
  });

  it('leaves ends alone when their silence is shorter than half a second', () => {
    expect(keptRange(frames(10, 0.3, 9.8), -18, 10)).toEqual({ keepFrom: 0, keepTo: 10 });
  });

  it('judges silence against the programme: a quiet recording is not silence, hiss below it is', () => {
    // Speech at −42 LUFS over a −75 floor: all kept but the silent ends.
    const quiet = keptRange(frames(12, 3, 9, -42, -75), -42, 12);
    expect(quiet.keepFrom).toBeGreaterThan(2);
    expect(quiet.keepTo).toBeLessThan(10);
    // Speech at −16 over hiss at −45: the hiss at the ends goes.
    const noisy = keptRange(frames(12, 3, 9, -16, -45), -16, 12);
    expect(noisy.keepFrom).toBeGreaterThan(2);
    expect(noisy.keepTo).toBeLessThan(10);
  });

  it('keeps everything when nothing rises above the threshold', () => {
    expect(keptRange(frames(5, 99, 99), -30, 5)).toEqual({ keepFrom: 0, keepTo: 5 });
  });
});

describe('the encode pass', () => {
  it('trims on exact samples, applies one gain and a limiter, with rounded numbers', () => {
    const f = encodeFilter({ keepFrom: 1.5, keepTo: 10.25, decodedSeconds: 12 }, 4.44444, -3.5);
    expect(f).toBe(
      'aresample=48000,aformat=channel_layouts=mono,atrim=start_sample=72000:end_sample=492000,asetpts=N/SR/TB,' +
        'volume=4.44dB,alimiter=limit=0.6683:level=false:latency=1:attack=5:release=50',
    );
    expect(encodeFilter({ keepFrom: 0, keepTo: 12, decodedSeconds: 12 }, -2, -3)).not.toMatch(/atrim/);
  });

  it('names its settings, so a change of target makes new media', () => {
    const speech = { loudnessTarget: -16, truePeakCeiling: -1.5, content: 'speech' as const, kbps: 32 };
    expect(recipeKey(speech)).toBe('v1;I=-16;TP=-1.5;speech;32k');
    expect(recipeKey({ ...speech, loudnessTarget: -18 })).not.toBe(recipeKey(speech));
  });
});
