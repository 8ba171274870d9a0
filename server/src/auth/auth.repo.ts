import type { Db } from '../db/database.js';

export type Role = 'admin' | 'editor' | 'approver' | 'technician' | 'viewer';
export interface UserRow {
  id: number;
  username: string;
  password_hash: string;
  role: Role;
}

export function authRepo(db: Db) {
  const byName = db.prepare('SELECT id, username, password_hash, role FROM users WHERE username = ?');
  const count = db.prepare('SELECT COUNT(*) AS n FROM users');
  const insertUser = db.prepare('INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)');
  const insertSession = db.prepare(
    'INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
  );
  const session = db.prepare(
    `SELECT u.id, u.username, u.password_hash, u.role FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.token_hash = ? AND s.expires_at > ?`,
  );
  const deleteSession = db.prepare('DELETE FROM sessions WHERE token_hash = ?');
  return {
    byName: (username: string) => byName.get(username) as UserRow | undefined,
    count: () => (count.get() as { n: number }).n,
    insertUser: (username: string, hash: string, role: Role) =>
      Number(insertUser.run(username, hash, role, Date.now()).lastInsertRowid),
    insertSession: (tokenHash: string, userId: number, expiresAt: number) =>
      insertSession.run(tokenHash, userId, Date.now(), expiresAt),
    session: (tokenHash: string, now: number) => session.get(tokenHash, now) as UserRow | undefined,
    deleteSession: (tokenHash: string) => deleteSession.run(tokenHash),
  };
}
