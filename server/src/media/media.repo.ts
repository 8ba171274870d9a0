import type { Db } from '../db/database.js';

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
}

export function mediaRepo(db: Db) {
  const get = db.prepare('SELECT * FROM media WHERE sha256 = ?');
  const insert = db.prepare(
    `INSERT OR IGNORE INTO media (sha256, bytes, duration_ms, codec, original_name, original_sha256, original_bytes, original_format, created_at, created_by)
     VALUES (@sha256, @bytes, @duration_ms, @codec, @original_name, @original_sha256, @original_bytes, @original_format, @created_at, @created_by)`,
  );
  const list = db.prepare('SELECT * FROM media ORDER BY created_at DESC LIMIT ?');
  return {
    get: (sha: string) => get.get(sha) as MediaRow | undefined,
    insert: (row: MediaRow & { created_by: number | null }) => insert.run(row),
    list: (limit: number) => list.all(limit) as MediaRow[],
  };
}

export function toMediaView(r: MediaRow) {
  return {
    sha256: r.sha256,
    bytes: r.bytes,
    durationMs: r.duration_ms,
    codec: r.codec,
    originalName: r.original_name,
    originalBytes: r.original_bytes,
    originalFormat: r.original_format,
    createdAt: r.created_at,
  };
}
