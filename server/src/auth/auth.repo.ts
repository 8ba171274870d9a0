// SQL of accounts, sessions and API tokens, and nothing else.
import type { Db } from '../db/database.js';
import type { Role } from './permissions.js';

export type { Role } from './permissions.js';

export interface UserRow {
  id: number;
  username: string;
  password_hash: string;
  role: Role;
  commune_ids: string | null;
  created_at: number;
  deleted_at: number | null;
  password_changed_at: number | null;
  must_change_password: number;
}

export interface SessionRow extends UserRow {
  csrf_hash: string;
  last_seen_at: number | null;
  expires_at: number;
}

export interface TokenRow {
  id: number;
  user_id: number;
  name: string;
  permissions: string;
  commune_ids: string | null;
  created_by: number | null;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

const USER = `u.id, u.username, u.password_hash, u.role, u.commune_ids, u.created_at, u.deleted_at,
  u.password_changed_at, u.must_change_password`;

export function authRepo(db: Db) {
  const byName = db.prepare(`SELECT ${USER} FROM users u WHERE u.username = ? AND u.deleted_at IS NULL`);
  const byId = db.prepare(`SELECT ${USER} FROM users u WHERE u.id = ? AND u.deleted_at IS NULL`);
  const list = db.prepare(`SELECT ${USER} FROM users u WHERE u.deleted_at IS NULL ORDER BY u.username`);
  const count = db.prepare('SELECT COUNT(*) AS n FROM users WHERE deleted_at IS NULL');
  const countAdmins = db.prepare(`SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND deleted_at IS NULL`);
  const insertUser = db.prepare(
    `INSERT INTO users (username, password_hash, role, commune_ids, created_at, password_changed_at, must_change_password)
     VALUES (@username, @hash, @role, @communeIds, @now, @now, @mustChange)`,
  );
  const updateUser = db.prepare('UPDATE users SET role = ?, commune_ids = ? WHERE id = ? AND deleted_at IS NULL');
  const setPassword = db.prepare(
    'UPDATE users SET password_hash = ?, password_changed_at = ?, must_change_password = ? WHERE id = ?',
  );
  // The name is freed for a new account; the audit log keeps the name as it was.
  const softDelete = db.prepare(
    `UPDATE users SET deleted_at = @now, username = username || '~deleted~' || id, password_hash = '!'
     WHERE id = @id AND deleted_at IS NULL`,
  );

  const insertSession = db.prepare(
    `INSERT INTO sessions (token_hash, csrf_hash, user_id, created_at, expires_at, last_seen_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const session = db.prepare(
    `SELECT ${USER}, s.csrf_hash, s.last_seen_at, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.token_hash = ? AND s.expires_at > ? AND u.deleted_at IS NULL`,
  );
  const touchSession = db.prepare('UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?');
  const deleteSession = db.prepare('DELETE FROM sessions WHERE token_hash = ?');
  const deleteUserSessions = db.prepare('DELETE FROM sessions WHERE user_id = ? AND token_hash != ?');
  const purgeSessions = db.prepare('DELETE FROM sessions WHERE expires_at <= ?');

  const insertToken = db.prepare(
    `INSERT INTO api_tokens (user_id, name, token_hash, permissions, commune_ids, created_by, created_at, expires_at)
     VALUES (@userId, @name, @tokenHash, @permissions, @communeIds, @createdBy, @now, @expiresAt)`,
  );
  const TOKEN = `t.id, t.user_id, t.name, t.permissions, t.commune_ids, t.created_by, t.created_at, t.expires_at,
    t.last_used_at, t.revoked_at`;
  const tokenByHash = db.prepare(
    `SELECT ${TOKEN} FROM api_tokens t JOIN users u ON u.id = t.user_id
     WHERE t.token_hash = ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?) AND u.deleted_at IS NULL`,
  );
  const tokenById = db.prepare(`SELECT ${TOKEN} FROM api_tokens t WHERE t.id = ?`);
  const tokens = db.prepare(`SELECT ${TOKEN} FROM api_tokens t ORDER BY t.created_at DESC, t.id DESC`);
  const touchToken = db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?');
  const revokeToken = db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  const revokeUserTokens = db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL');

  return {
    byName: (username: string) => byName.get(username) as UserRow | undefined,
    byId: (id: number) => byId.get(id) as UserRow | undefined,
    list: () => list.all() as UserRow[],
    count: () => (count.get() as { n: number }).n,
    countAdmins: () => (countAdmins.get() as { n: number }).n,
    insertUser: (u: {
      username: string;
      hash: string;
      role: Role;
      communeIds: string[] | null;
      mustChange?: boolean;
    }) =>
      Number(
        insertUser.run({
          username: u.username,
          hash: u.hash,
          role: u.role,
          communeIds: u.communeIds === null ? null : JSON.stringify(u.communeIds),
          now: Date.now(),
          mustChange: u.mustChange ? 1 : 0,
        }).lastInsertRowid,
      ),
    updateUser: (id: number, role: Role, communeIds: string[] | null) =>
      updateUser.run(role, communeIds === null ? null : JSON.stringify(communeIds), id).changes === 1,
    setPassword: (id: number, hash: string, mustChange: boolean) =>
      setPassword.run(hash, Date.now(), mustChange ? 1 : 0, id),
    softDelete: (id: number) => softDelete.run({ id, now: Date.now() }).changes === 1,

    insertSession: (tokenHash: string, csrfHash: string, userId: number, expiresAt: number) =>
      insertSession.run(tokenHash, csrfHash, userId, Date.now(), expiresAt, Date.now()),
    session: (tokenHash: string, now: number) => session.get(tokenHash, now) as SessionRow | undefined,
    touchSession: (tokenHash: string, now: number) => touchSession.run(now, tokenHash),
    deleteSession: (tokenHash: string) => deleteSession.run(tokenHash),
    /** Revokes every session of a user but the one named (pass '' to revoke them all). */
    deleteUserSessions: (userId: number, exceptTokenHash = '') =>
      deleteUserSessions.run(userId, exceptTokenHash).changes,
    purgeSessions: (now: number) => purgeSessions.run(now).changes,

    insertToken: (t: {
      userId: number;
      name: string;
      tokenHash: string;
      permissions: string[];
      communeIds: string[] | null;
      createdBy: number;
      expiresAt: number | null;
    }) =>
      Number(
        insertToken.run({
          ...t,
          permissions: JSON.stringify(t.permissions),
          communeIds: t.communeIds === null ? null : JSON.stringify(t.communeIds),
          now: Date.now(),
        }).lastInsertRowid,
      ),
    tokenByHash: (tokenHash: string, now: number) => tokenByHash.get(tokenHash, now) as TokenRow | undefined,
    tokenById: (id: number) => tokenById.get(id) as TokenRow | undefined,
    tokens: () => tokens.all() as TokenRow[],
    touchToken: (id: number, now: number) => touchToken.run(now, id),
    revokeToken: (id: number) => revokeToken.run(Date.now(), id).changes === 1,
    revokeUserTokens: (userId: number) => revokeUserTokens.run(Date.now(), userId).changes,
  };
}
export type AuthRepo = ReturnType<typeof authRepo>;

export function parseCommuneIds(raw: string | null): string[] | null {
  if (raw === null) return null;
  const value = JSON.parse(raw) as unknown;
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
