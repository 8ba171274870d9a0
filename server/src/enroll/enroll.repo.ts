// SQL of enrollment tokens, and nothing else.
import type { Db } from '../db/database.js';

export interface TokenRow {
  id: string;
  token_hash: string;
  unit_id: string | null;
  name: string;
  commune_id: string | null;
  created_by: number | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  used_by_unit: string | null;
}

export function enrollRepo(db: Db) {
  const insert = db.prepare(
    `INSERT INTO enrollment_tokens (id, token_hash, unit_id, name, commune_id, created_by, created_at, expires_at)
     VALUES (@id, @tokenHash, @unitId, @name, @communeId, @createdBy, @createdAt, @expiresAt)`,
  );
  const byHash = db.prepare('SELECT * FROM enrollment_tokens WHERE token_hash = ?');
  const byId = db.prepare('SELECT * FROM enrollment_tokens WHERE id = ?');
  const all = db.prepare('SELECT * FROM enrollment_tokens ORDER BY created_at DESC LIMIT ?');
  // The one place a token is spent: only an unused, unexpired token changes here, once.
  const consume = db.prepare(
    'UPDATE enrollment_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?',
  );
  const usedBy = db.prepare('UPDATE enrollment_tokens SET used_by_unit = ? WHERE id = ?');
  const revoke = db.prepare(
    'UPDATE enrollment_tokens SET expires_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?',
  );
  return {
    insert(t: {
      id: string;
      tokenHash: string;
      unitId: string | null;
      name: string;
      communeId: string | null;
      createdBy: number | null;
      createdAt: number;
      expiresAt: number;
    }) {
      insert.run(t);
    },
    byHash: (hash: string) => byHash.get(hash) as TokenRow | undefined,
    get: (id: string) => byId.get(id) as TokenRow | undefined,
    list: (limit: number) => all.all(limit) as TokenRow[],
    consume: (hash: string, now: number) => consume.run(now, hash, now).changes === 1,
    usedBy: (id: string, unitId: string) => usedBy.run(unitId, id),
    revoke: (id: string, now: number) => revoke.run(now, id, now).changes === 1,
  };
}
