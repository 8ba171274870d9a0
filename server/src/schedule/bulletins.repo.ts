// SQL of bulletins.
import type { Db } from '../db/database.js';
import type { BulletinState } from './bulletins.transitions.js';

export interface BulletinRow {
  id: string;
  commune_id: string;
  title: string;
  text: string | null;
  level: 'ordinary' | 'priority' | 'emergency';
  media_sha256: string | null;
  state: BulletinState;
  targets: string;
  recurrence: string;
  repeat_count: number;
  repeat_gap_s: number;
  valid_from: number;
  valid_until: number;
  volume: number;
  created_by: number | null;
  created_at: number;
  approved_at: number | null;
  approved_by?: number | null;
  rejected_reason: string | null;
  /** A relay bulletin (issue #8): the stream and its slot length, instead of media_sha256. */
  relay_url?: string | null;
  relay_duration_ms?: number | null;
}

export function bulletinsRepo(db: Db) {
  const insert = db.prepare(
    `INSERT INTO bulletins (id, commune_id, title, text, level, media_sha256, state, targets, recurrence, repeat_count, repeat_gap_s,
       valid_from, valid_until, volume, created_by, created_at, updated_at, relay_url, relay_duration_ms)
     VALUES (@id, @commune_id, @title, @text, @level, @media_sha256, 'draft', @targets, @recurrence, @repeat_count, @repeat_gap_s,
       @valid_from, @valid_until, @volume, @created_by, @created_at, @created_at, @relay_url, @relay_duration_ms)`,
  );
  const get = db.prepare('SELECT * FROM bulletins WHERE id = ?');
  const list = db.prepare('SELECT * FROM bulletins ORDER BY created_at DESC, id LIMIT ?');
  const inStates = db.prepare(
    `SELECT * FROM bulletins WHERE state IN (SELECT value FROM json_each(?)) AND valid_until > ?`,
  );
  const setState = db.prepare(
    `UPDATE bulletins SET state = @state, updated_at = @now,
       submitted_at = CASE WHEN @state = 'submitted' THEN @now ELSE submitted_at END,
       approved_at = CASE WHEN @state = 'approved' THEN @now ELSE approved_at END,
       approved_by = CASE WHEN @state = 'approved' THEN @userId ELSE approved_by END,
       rejected_reason = CASE WHEN @state = 'rejected' THEN @reason ELSE rejected_reason END
     WHERE id = @id AND state = @from`,
  );
  return {
    insert: (row: Omit<BulletinRow, 'state' | 'approved_at' | 'rejected_reason'>) =>
      insert.run({ relay_url: null, relay_duration_ms: null, ...row }),
    get: (id: string) => get.get(id) as BulletinRow | undefined,
    list: (limit: number) => list.all(limit) as BulletinRow[],
    /** Bulletins in the given states still valid after `after`. */
    inStates: (states: readonly BulletinState[], after: number) =>
      inStates.all(JSON.stringify(states), after) as BulletinRow[],
    /** Compare-and-set, so two approvers racing cannot both move the same bulletin. */
    setState: (id: string, from: BulletinState, state: BulletinState, userId: number | null, reason: string | null) =>
      setState.run({ id, from, state, userId, reason, now: Date.now() }).changes === 1,
  };
}
