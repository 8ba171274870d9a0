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

/** What an edit may change (not the commune, the writer or the state history). */
export type EditableFields = Pick<
  BulletinRow,
  | 'title'
  | 'text'
  | 'level'
  | 'media_sha256'
  | 'targets'
  | 'recurrence'
  | 'repeat_count'
  | 'repeat_gap_s'
  | 'valid_from'
  | 'valid_until'
  | 'volume'
> & { relay_url: string | null; relay_duration_ms: number | null };

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
  const moveIds = db.prepare(
    `UPDATE bulletins SET state = @to, updated_at = @now
     WHERE id IN (SELECT value FROM json_each(@ids)) AND state IN (SELECT value FROM json_each(@from)) RETURNING id`,
  );
  const moveLapsed = db.prepare(
    `UPDATE bulletins SET state = @to, updated_at = @now
     WHERE valid_until <= @at AND state IN (SELECT value FROM json_each(@from)) RETURNING id`,
  );
  // An edit (PATCH) replaces what the bulletin says and when (and leaves it a draft); compare-and-set
  // on the state read before, so an edit racing a submit cannot change a bulletin under review.
  const edit = db.prepare(
    `UPDATE bulletins SET title = @title, text = @text, level = @level, media_sha256 = @media_sha256,
       relay_url = @relay_url, relay_duration_ms = @relay_duration_ms, targets = @targets, recurrence = @recurrence,
       repeat_count = @repeat_count, repeat_gap_s = @repeat_gap_s, valid_from = @valid_from, valid_until = @valid_until,
       volume = @volume, state = @to, updated_at = @now
     WHERE id = @id AND state = @from`,
  );
  const ids = (rows: unknown[]) => (rows as Array<{ id: string }>).map((r) => r.id);
  return {
    moveIds: (list: readonly string[], from: readonly BulletinState[], to: BulletinState) =>
      ids(moveIds.all({ ids: JSON.stringify(list), from: JSON.stringify(from), to, now: Date.now() })),
    moveLapsed: (at: number, from: readonly BulletinState[], to: BulletinState) =>
      ids(moveLapsed.all({ at, from: JSON.stringify(from), to, now: Date.now() })),
    /** Writes an edit, leaving the bulletin in state `to`; false when it is no longer in state `from`. */
    edit: (row: EditableFields & { id: string }, from: BulletinState, to: BulletinState) =>
      edit.run({ ...row, from, to, now: Date.now() }).changes === 1,
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
