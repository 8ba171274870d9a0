// SQL of alerts, and nothing else.
import type { Db } from '../db/database.js';

export interface AlertRow {
  id: number;
  unit_id: string | null;
  kind: string;
  state: 'raised' | 'cleared';
  message: string;
  raised_at: number;
  cleared_at: number | null;
  detail: string | null;
  commune_id: string | null;
}

const SELECT = `SELECT a.id, a.unit_id, a.kind, a.state, a.message, a.raised_at, a.cleared_at, a.detail, u.commune_id
  FROM alerts a LEFT JOIN units u ON u.id = a.unit_id`;

export function alertsRepo(db: Db) {
  const open = db.prepare(
    `${SELECT} WHERE COALESCE(a.unit_id, '') = COALESCE(?, '') AND a.kind = ? AND a.state = 'raised'`,
  );
  const byId = db.prepare(`${SELECT} WHERE a.id = ?`);
  const insert = db.prepare(
    `INSERT INTO alerts (unit_id, kind, state, message, raised_at, detail) VALUES (?, ?, 'raised', ?, ?, ?)`,
  );
  const update = db.prepare('UPDATE alerts SET message = ?, detail = ? WHERE id = ?');
  const clear = db.prepare(`UPDATE alerts SET state = 'cleared', cleared_at = ? WHERE id = ?`);
  const raised = db.prepare(`SELECT unit_id, kind FROM alerts WHERE state = 'raised'`);
  return {
    /** Unit and kind of every raised alert. */
    raisedKeys: () => raised.all() as Array<{ unit_id: string | null; kind: string }>,
    open: (unitId: string | null, kind: string) => open.get(unitId, kind) as AlertRow | undefined,
    get: (id: number) => byId.get(id) as AlertRow | undefined,
    insert: (unitId: string | null, kind: string, message: string, at: number, detail: string | null) =>
      Number(insert.run(unitId, kind, message, at, detail).lastInsertRowid),
    update: (id: number, message: string, detail: string | null) => update.run(message, detail, id),
    clear: (id: number, at: number) => clear.run(at, id),
    list(filter: { state: 'raised' | 'all'; unitId?: string; limit: number }): AlertRow[] {
      const where: string[] = [];
      const args: unknown[] = [];
      if (filter.state === 'raised') where.push(`a.state = 'raised'`);
      if (filter.unitId) {
        where.push('a.unit_id = ?');
        args.push(filter.unitId);
      }
      const sql = `${SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY a.raised_at DESC, a.id DESC LIMIT ?`;
      return db.prepare(sql).all(...args, filter.limit) as AlertRow[];
    },
  };
}
