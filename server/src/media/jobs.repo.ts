import type { Db } from '../db/database.js';

export type JobState = 'queued' | 'running' | 'done' | 'failed';

export interface JobRow {
  id: string;
  kind: 'upload' | 'tts';
  state: JobState;
  percent: number;
  upload: string | null;
  original_name: string | null;
  original_sha256: string | null;
  original_bytes: number | null;
  original_format: string | null;
  content: string;
  tts_text: string | null;
  tts_voice: string | null;
  media_sha256: string | null;
  error_status: number | null;
  error_code: string | null;
  error_message: string | null;
  created_by: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

export type NewJob = Pick<
  JobRow,
  | 'id'
  | 'kind'
  | 'upload'
  | 'original_name'
  | 'original_sha256'
  | 'original_bytes'
  | 'original_format'
  | 'content'
  | 'tts_text'
  | 'tts_voice'
  | 'created_by'
  | 'created_at'
>;

export function jobsRepo(db: Db) {
  const insert = db.prepare(
    `INSERT INTO media_jobs (id, kind, state, percent, upload, original_name, original_sha256, original_bytes, original_format,
       content, tts_text, tts_voice, created_by, created_at)
     VALUES (@id, @kind, 'queued', 0, @upload, @original_name, @original_sha256, @original_bytes, @original_format,
       @content, @tts_text, @tts_voice, @created_by, @created_at)`,
  );
  const get = db.prepare('SELECT * FROM media_jobs WHERE id = ?');
  const list = db.prepare('SELECT * FROM media_jobs ORDER BY created_at DESC LIMIT ?');
  const unfinished = db.prepare("SELECT * FROM media_jobs WHERE state IN ('queued', 'running') ORDER BY created_at");
  const start = db.prepare("UPDATE media_jobs SET state = 'running', percent = 0, started_at = ? WHERE id = ?");
  const requeue = db.prepare("UPDATE media_jobs SET state = 'queued', percent = 0, started_at = NULL WHERE id = ?");
  const percent = db.prepare('UPDATE media_jobs SET percent = ? WHERE id = ?');
  const original = db.prepare(
    'UPDATE media_jobs SET upload = ?, original_sha256 = ?, original_bytes = ?, original_format = ? WHERE id = ?',
  );
  const done = db.prepare(
    "UPDATE media_jobs SET state = 'done', percent = 100, media_sha256 = ?, finished_at = ? WHERE id = ?",
  );
  const failed = db.prepare(
    "UPDATE media_jobs SET state = 'failed', error_status = ?, error_code = ?, error_message = ?, finished_at = ? WHERE id = ?",
  );
  const uploadsInUse = db
    .prepare("SELECT upload FROM media_jobs WHERE state IN ('queued', 'running') AND upload IS NOT NULL")
    .pluck();
  const prune = db.prepare("DELETE FROM media_jobs WHERE state IN ('done', 'failed') AND finished_at < ?");
  return {
    insert: (job: NewJob) => insert.run(job),
    get: (id: string) => get.get(id) as JobRow | undefined,
    list: (limit: number) => list.all(limit) as JobRow[],
    unfinished: () => unfinished.all() as JobRow[],
    start: (id: string, at: number) => start.run(at, id),
    requeue: (id: string) => requeue.run(id),
    percent: (id: string, p: number) => percent.run(p, id),
    setOriginal: (id: string, upload: string, sha: string, bytes: number, format: string) =>
      original.run(upload, sha, bytes, format, id),
    done: (id: string, sha: string, at: number) => done.run(sha, at, id),
    failed: (id: string, status: number, code: string, message: string, at: number) =>
      failed.run(status, code, message, at, id),
    uploadsInUse: () => new Set(uploadsInUse.all() as string[]),
    prune: (before: number) => prune.run(before).changes,
  };
}
export type JobsRepo = ReturnType<typeof jobsRepo>;
