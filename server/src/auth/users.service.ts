// Accounts (issue #4): an administrator creates them with a role and communes, changes those,
// resets a forgotten password, signs someone out everywhere, deletes an account. There is always
// at least one administrator over every commune left, so nobody can lock the province out.
import type { Db } from '../db/database.js';
import { HttpError } from '../http-error.js';
import { authRepo, parseCommuneIds, type UserRow } from './auth.repo.js';
import type { LoginGuard } from './login-guard.js';
import { hashPassword, passwordProblem, randomPassword } from './passwords.js';
import { ROLE_PERMISSIONS, type Principal, type Role } from './permissions.js';

export function toUserView(r: UserRow, lockedUntil: number | null) {
  return {
    id: r.id,
    username: r.username,
    role: r.role,
    communeIds: parseCommuneIds(r.commune_ids),
    permissions: [...ROLE_PERMISSIONS[r.role]].sort(),
    createdAt: r.created_at,
    passwordChangedAt: r.password_changed_at,
    mustChangePassword: r.must_change_password === 1,
    lockedUntil,
  };
}

export interface Sessions {
  revokeUser(userId: number, exceptHash?: string): number;
}

export function usersService(db: Db, guard: LoginGuard, sessions: Sessions) {
  const repo = authRepo(db);
  const communeExists = db.prepare('SELECT 1 FROM communes WHERE id = ?');
  const view = (r: UserRow) => toUserView(r, guard.lockedUntil(r.username));

  const get = (id: number) => {
    const row = repo.byId(id);
    if (!row) throw new HttpError(404, 'user-not-found', `There is no account ${id}.`);
    return row;
  };

  function checkCommunes(communeIds: string[] | null) {
    for (const id of communeIds ?? [])
      if (!communeExists.get(id))
        throw new HttpError(400, 'unknown-commune', `There is no commune ${id}.`, 'communeIds');
  }

  /** True when `id` is the last administrator over every commune. */
  function lastProvinceAdmin(row: UserRow): boolean {
    if (row.role !== 'admin' || row.commune_ids !== null) return false;
    return repo.list().filter((u) => u.role === 'admin' && u.commune_ids === null).length <= 1;
  }

  return {
    list: () => repo.list().map(view),
    get: (id: number) => view(get(id)),
    async create(input: { username: string; role: Role; communeIds?: string[] | null; password?: string }) {
      const communeIds = input.communeIds ?? null;
      checkCommunes(communeIds);
      if (repo.byName(input.username))
        throw new HttpError(
          409,
          'user-exists',
          `There is already an account ${input.username}; choose another name.`,
          'username',
        );
      const generated = input.password === undefined;
      const password = input.password ?? randomPassword();
      const problem = generated ? null : passwordProblem(password, input.username);
      if (problem) throw new HttpError(400, 'weak-password', problem, 'password');
      const id = repo.insertUser({
        username: input.username,
        hash: await hashPassword(password),
        role: input.role,
        communeIds,
        // A password someone else chose is to be changed at first sign-in.
        mustChange: true,
      });
      return { user: view(get(id)), ...(generated ? { password } : {}) };
    },
    update(id: number, patch: { role?: Role; communeIds?: string[] | null }, actor: Principal) {
      const row = get(id);
      const role = patch.role ?? row.role;
      const communeIds = patch.communeIds === undefined ? parseCommuneIds(row.commune_ids) : patch.communeIds;
      checkCommunes(communeIds);
      if (lastProvinceAdmin(row) && (role !== 'admin' || communeIds !== null))
        throw new HttpError(
          409,
          'last-admin',
          `${row.username} is the last administrator over every commune; make another one first.`,
          'role',
        );
      repo.updateUser(id, role, communeIds);
      // Permissions are read on every request, so the change applies at once; signing the account
      // out as well makes a demotion visible to its holder instead of failing halfway through a form.
      if (id !== actor.id && (role !== row.role || patch.communeIds !== undefined)) sessions.revokeUser(id);
      return view(get(id));
    },
    remove(id: number, actor: Principal) {
      const row = get(id);
      if (id === actor.id) throw new HttpError(409, 'delete-self', 'You cannot delete your own account.');
      if (lastProvinceAdmin(row))
        throw new HttpError(409, 'last-admin', `${row.username} is the last administrator over every commune.`);
      const tx = db.transaction(() => {
        repo.softDelete(id);
        sessions.revokeUser(id);
        repo.revokeUserTokens(id);
      });
      tx();
      guard.unlock(row.username);
      return { username: row.username };
    },
    /** A new random password shown once; the account's sessions end and its lock lifts. */
    async resetPassword(id: number) {
      const row = get(id);
      const password = randomPassword();
      repo.setPassword(id, await hashPassword(password), true);
      const revoked = sessions.revokeUser(id);
      guard.unlock(row.username);
      return { password, sessionsRevoked: revoked };
    },
    revokeSessions(id: number) {
      get(id);
      return sessions.revokeUser(id);
    },
  };
}
export type UsersService = ReturnType<typeof usersService>;
