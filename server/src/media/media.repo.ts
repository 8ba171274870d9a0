import type { Db } from '../db/database.js';
import { normalizationWarnings, recipeTargets } from './warnings.js';

export interface MediaRow {
  sha256: string;
  bytes: number;
  duration_ms: number;
  codec: string;
  original_name: string | null;
  original_sha256: string;
  original_bytes: number;
  original_format: string | null;
  created_at: number;
  content: string;
  source: string;
  recipe: string | null;
  input_lufs: number | null;
  input_lra: number | null;
  input_peak_dbfs: number | null;
  output_lufs: number | null;
  output_true_peak_dbtp: number | null;
  gain_db: number | null;
  source_duration_ms: number | null;
  trimmed_start_ms: number | null;
  trimmed_end_ms: number | null;
  tts_text: string | null;
  tts_voice: string | null;
  last_used_at: number | null;
}

export type NewMediaRow = Omit<MediaRow, 'last_used_at'> & { created_by: number | null };

export function mediaRepo(db: Db) {
  const get = db.prepare('SELECT * FROM media WHERE sha256 = ?');
  const insert = db.prepare(
    `INSERT OR IGNORE INTO media (sha256, bytes, duration_ms, codec, original_name, original_sha256, original_bytes,
       original_format, created_at, created_by, content, source, recipe, input_lufs, input_lra, input_peak_dbfs,
       output_lufs, output_true_peak_dbtp, gain_db, source_duration_ms, trimmed_start_ms, trimmed_end_ms, tts_text, tts_voice)
     VALUES (@sha256, @bytes, @duration_ms, @codec, @original_name, @original_sha256, @original_bytes,
       @original_format, @created_at, @created_by, @content, @source, @recipe, @input_lufs, @input_lra, @input_peak_dbfs,
       @output_lufs, @output_true_peak_dbtp, @gain_db, @source_duration_ms, @trimmed_start_ms, @trimmed_end_ms, @tts_text, @tts_voice)`,
  );
  const list = db.prepare('SELECT * FROM media ORDER BY created_at DESC LIMIT ?');
  const byOriginal = db.prepare('SELECT * FROM media WHERE original_sha256 = ? AND recipe = ? LIMIT 1');
  const size = db.prepare('SELECT bytes FROM media WHERE sha256 = ?').pluck();
  const touch = db.prepare('UPDATE media SET last_used_at = ? WHERE sha256 = ?');
  return {
    get: (sha: string) => get.get(sha) as MediaRow | undefined,
    /** Same bytes, same settings: the media it became last time. */
    byOriginal: (originalSha: string, recipe: string) => byOriginal.get(originalSha, recipe) as MediaRow | undefined,
    insert: (row: NewMediaRow) => insert.run(row),
    list: (limit: number) => list.all(limit) as MediaRow[],
    sizeOf: (sha: string) => size.get(sha) as number | undefined,
    /** Counts as a use for the retention sweep (asked for again, or just made). */
    touch: (sha: string, at = Date.now()) => touch.run(at, sha),
  };
}

const round1 = (v: number | null) => (v === null || !Number.isFinite(v) ? null : Math.round(v * 10) / 10);

export function toMediaView(r: MediaRow) {
  return {
    sha256: r.sha256,
    bytes: r.bytes,
    durationMs: r.duration_ms,
    codec: r.codec,
    content: r.content,
    source: r.source,
    originalName: r.original_name,
    originalBytes: r.original_bytes,
    originalFormat: r.original_format,
    createdAt: r.created_at,
    loudness: {
      inputLufs: round1(r.input_lufs),
      inputLra: round1(r.input_lra),
      inputPeakDbfs: round1(r.input_peak_dbfs),
      outputLufs: round1(r.output_lufs),
      outputTruePeakDbtp: round1(r.output_true_peak_dbtp),
      gainDb: round1(r.gain_db),
    },
    sourceDurationMs: r.source_duration_ms,
    trimmedStartMs: r.trimmed_start_ms,
    trimmedEndMs: r.trimmed_end_ms,
    text: r.tts_text,
    voice: r.tts_voice,
    /** What the normalization could not reach (issue #6): empty when the media is on target. */
    warnings: normalizationWarnings(
      { outputLufs: r.output_lufs, outputTruePeakDbtp: r.output_true_peak_dbtp, gainDb: r.gain_db },
      recipeTargets(r.recipe),
    ),
  };
}
export type MediaView = ReturnType<typeof toMediaView>;
