// What an ingest could not do, said on the media itself (issue #6) instead of storing its best
// attempt silently: a recording so quiet that the gain stopped at its cap, or three encodes that
// still miss the loudness target by more than the ±1 LU the issue allows, or peaks over the
// ceiling. Worked out from the figures stored with the media and its recipe, so every media
// (those made before this existed too) answers the same way, and a re-upload of the same bytes
// gets the same warnings.

/** Gain is bounded: past +30 dB a "recording" is noise, and the limiter would only pump it. */
export const MAX_GAIN_DB = 30;
/** The tolerance on the integrated loudness. */
export const TOLERANCE_LU = 1;
/** Measurement noise on the peak: what the stored figure is rounded and re-measured to. */
const PEAK_SLACK_DB = 0.05;

export interface MediaWarning {
  code: 'gain-capped' | 'loudness-missed' | 'peak-over';
  message: string;
}

export interface Figures {
  outputLufs: number | null;
  outputTruePeakDbtp: number | null;
  gainDb: number | null;
}

const f1 = (x: number) => (Math.round(x * 10) / 10).toFixed(1);

/** `v1;I=-16;TP=-1.5;speech;32k` → the target and the ceiling it was made for. */
export function recipeTargets(key: string | null): { loudnessTarget: number; truePeakCeiling: number } | undefined {
  const m = key ? /(?:^|;)I=(-?[\d.]+);TP=(-?[\d.]+)(?:;|$)/.exec(key) : null;
  return m ? { loudnessTarget: Number(m[1]), truePeakCeiling: Number(m[2]) } : undefined;
}

export function normalizationWarnings(
  f: Figures,
  target: { loudnessTarget: number; truePeakCeiling: number } | undefined,
): MediaWarning[] {
  if (!target || f.outputLufs === null) return [];
  const out: MediaWarning[] = [];
  if (f.gainDb !== null && f.gainDb >= MAX_GAIN_DB - 0.01)
    out.push({
      code: 'gain-capped',
      message: `The recording is very quiet: the gain stopped at its limit of +${MAX_GAIN_DB} dB. Record it again closer to the microphone, or louder.`,
    });
  const miss = f.outputLufs - target.loudnessTarget;
  if (Math.abs(miss) > TOLERANCE_LU)
    out.push({
      code: 'loudness-missed',
      message: `It plays at ${f1(f.outputLufs)} LUFS, ${f1(Math.abs(miss))} LU ${miss < 0 ? 'under' : 'over'} the target of ${f1(target.loudnessTarget)} LUFS: it will sound ${miss < 0 ? 'quieter' : 'louder'} than other bulletins.`,
    });
  if (f.outputTruePeakDbtp !== null && f.outputTruePeakDbtp > target.truePeakCeiling + PEAK_SLACK_DB)
    out.push({
      code: 'peak-over',
      message: `Its peaks reach ${f1(f.outputTruePeakDbtp)} dBTP, over the ceiling of ${f1(target.truePeakCeiling)} dBTP: it may distort on the loudspeakers.`,
    });
  return out;
}
