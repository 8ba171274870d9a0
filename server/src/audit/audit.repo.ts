// SQL of the audit log, and nothing else. Rows are only ever inserted.
import type { Db } from '../db/database.js';

export interface AuditRow {
  id: number;
  at: number;
  user_id: number | null;
  username: string | null;
  via: string | null;
  action: string;
  subject: string | null;
  commune_id: string | null;
  ip: string | null;
  detail: string | null;
}

export interface AuditInsert {
  at: number;
  userId: number | null;
  username: string | null;
  via: string;
  action: string;
  subject: string | null;
  communeId: string | null;
  ip: string | null;
  detail: string | null;
}

export interface AuditFilter {
  from?: number;
  to?: number;
  /** Exact action, or a prefix ending in `*` (`bulletin.*`). */
  action?: string;
  userId?: number;
  subject?: string;
  communeId?: string;
  /** Only entries older than this id (paging backwards). */
  before?: number;
  /** Commune scope of the reader: null = all; entries with no commune are then left out. */
  scope: string[] | null;
  limit: number;
}

export function auditRepo(db: Db) {
  const insert = db.prepare(
    `INSERT INTO audit_log (at, user_id, username, via, action, subject, commune_id, ip, detail)
     VALUES (@at, @userId, @username, @via, @action, @subject, @communeId, @ip, @detail)`,
  );
  return {
    insert: (row: AuditInsert) => Number(insert.run(row).lastInsertRowid),
    list(f: AuditFilter): AuditRow[] {
      const where: string[] = [];
      const args: Record<string, unknown> = { limit: f.limit };
      const add = (clause: string, name: string, value: unknown) => {
        where.push(clause);
        args[name] = value;
      };
      if (f.from !== undefined) add('at >= @from', 'from', f.from);
      if (f.to !== undefined) add('at < @to', 'to', f.to);
      if (f.action?.endsWith('*')) {
        const prefix = f.action.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`);
        add(`action LIKE @action ESCAPE '\\'`, 'action', `${prefix}%`);
      } else if (f.action) add('action = @action', 'action', f.action);
      if (f.userId !== undefined) add('user_id = @userId', 'userId', f.userId);
      if (f.subject !== undefined) add('subject = @subject', 'subject', f.subject);
      if (f.communeId !== undefined) add('commune_id = @communeId', 'communeId', f.communeId);
      if (f.before !== undefined) add('id < @before', 'before', f.before);
      if (f.scope !== null)
        add('commune_id IN (SELECT value FROM json_each(@scope))', 'scope', JSON.stringify(f.scope));
      const sql = `SELECT id, at, user_id, username, via, action, subject, commune_id, ip, detail FROM audit_log
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT @limit`;
      return db.prepare(sql).all(args) as AuditRow[];
    },
  };
}
