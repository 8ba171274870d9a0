// SQL of unit commands, and nothing else.
import type { Db } from '../db/database.js';

export interface CommandRow {
  id: string;
  unit_id: string;
  type: string;
  args: string;
  state: 'pending' | 'acked' | 'failed' | 'expired';
  error: string | null;
  issued_at: number;
  expires_at: number;
  acked_at: number | null;
  issued_by: number | null;
  envelope: string;
}

export function commandsRepo(db: Db) {
  const insert = db.prepare(
    `INSERT INTO unit_commands (id, unit_id, type, args, state, issued_at, expires_at, issued_by, envelope)
     VALUES (@id, @unitId, @type, @args, 'pending', @issuedAt, @expiresAt, @issuedBy, @envelope)`,
  );
  const byId = db.prepare('SELECT * FROM unit_commands WHERE id = ? AND unit_id = ?');
  const byUnit = db.prepare(
    'SELECT * FROM unit_commands WHERE unit_id = ? ORDER BY issued_at DESC, rowid DESC LIMIT ?',
  );
  const pendingOf = db.prepare(
    `SELECT * FROM unit_commands WHERE unit_id = ? AND state = 'pending' AND expires_at > ? ORDER BY issued_at`,
  );
  // An ack that comes after the server's expiry still says what the unit did.
  const ack = db.prepare(
    `UPDATE unit_commands SET state = ?, error = ?, acked_at = ? WHERE id = ? AND unit_id = ? AND state IN ('pending', 'expired')`,
  );
  const expire = db.prepare(`UPDATE unit_commands SET state = 'expired' WHERE state = 'pending' AND expires_at <= ?`);
  return {
    insert(c: {
      id: string;
      unitId: string;
      type: string;
      args: string;
      issuedAt: number;
      expiresAt: number;
      issuedBy: number | null;
      envelope: string;
    }) {
      insert.run(c);
    },
    get: (unitId: string, id: string) => byId.get(id, unitId) as CommandRow | undefined,
    list: (unitId: string, limit: number) => byUnit.all(unitId, limit) as CommandRow[],
    pending: (unitId: string, now: number) => pendingOf.all(unitId, now) as CommandRow[],
    ack: (unitId: string, id: string, ok: boolean, error: string | null, at: number) =>
      ack.run(ok ? 'acked' : 'failed', error, at, id, unitId).changes > 0,
    expire: (now: number) => expire.run(now).changes,
  };
}
