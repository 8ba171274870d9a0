// The warnings a media carries when its normalization fell short (issue #6), from its stored figures.
import { describe, expect, it } from 'vitest';
import { normalizationWarnings, recipeTargets } from './warnings.js';

const target = { loudnessTarget: -16, truePeakCeiling: -1.5 };
const codes = (f: Parameters<typeof normalizationWarnings>[0], t = target) =>
  normalizationWarnings(f, t).map((w) => w.code);

describe('normalization warnings', () => {
  it('reads the target and the ceiling back from the recipe key', () => {
    expect(recipeTargets('v1;I=-20;TP=-3;speech;32k')).toEqual({ loudnessTarget: -20, truePeakCeiling: -3 });
    expect(recipeTargets('v1;I=-16;TP=-1.5;music;64k')).toEqual({ loudnessTarget: -16, truePeakCeiling: -1.5 });
    expect(recipeTargets(null)).toBeUndefined();
    expect(recipeTargets('v0;speech')).toBeUndefined();
  });

  it('says nothing on target, within ±1 LU and under the ceiling', () => {
    expect(codes({ outputLufs: -16.9, outputTruePeakDbtp: -1.5, gainDb: 29.9 })).toEqual([]);
    expect(codes({ outputLufs: -15.1, outputTruePeakDbtp: -2, gainDb: -30 })).toEqual([]);
  });

  it('names a gain stopped at its cap, a loudness off by more than 1 LU, and peaks over the ceiling', () => {
    expect(codes({ outputLufs: -25.2, outputTruePeakDbtp: -12, gainDb: 30 })).toEqual([
      'gain-capped',
      'loudness-missed',
    ]);
    const loud = normalizationWarnings({ outputLufs: -14.6, outputTruePeakDbtp: -0.4, gainDb: -3 }, target);
    expect(loud.map((w) => w.code)).toEqual(['loudness-missed', 'peak-over']);
    expect(loud[0]!.message).toBe(
      'It plays at -14.6 LUFS, 1.4 LU over the target of -16.0 LUFS: it will sound louder than other bulletins.',
    );
  });

  it('says nothing for media stored before loudness figures existed', () => {
    expect(codes({ outputLufs: null, outputTruePeakDbtp: null, gainDb: null })).toEqual([]);
    expect(normalizationWarnings({ outputLufs: -40, outputTruePeakDbtp: 0, gainDb: 30 }, undefined)).toEqual([]);
  });
});
