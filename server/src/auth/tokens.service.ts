// API tokens for machines (issue #4): an upstream provincial or national information system that
// submits bulletins. A token acts for one account (a "machine" account is an ordinary account with
// a role), carries only the permissions and communes it names — never more than the account has —
// and is revocable; only its hash is stored, the token itself is shown once. A token made for
// someone else's account never carries a personal permission (approving, emergency, live, accounts
// and tokens): otherwise an administrator could approve their own bulletin in an approver's name.
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/database.js';
import { HttpError } from '../http-error.js';
import { authRepo, parseCommuneIds, type TokenRow } from './auth.repo.js';
import { hashToken } from './auth.plugin.js';
import { isPermission, PERSONAL_PERMISSIONS, ROLE_PERMISSIONS, type Principal } from './permissions.js';

export function toTokenView(r: TokenRow, username: string | null) {
  return {
    id: r.id,
    name: r.name,
    userId: r.user_id,
    username,
    permissions: JSON.parse(r.permissions) as string[],
    communeIds: parseCommuneIds(r.commune_ids),
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}

export function tokensService(db: Db) {
  const repo = authRepo(db);
  const nameOf = db.prepare('SELECT username FROM users WHERE id = ?');
  const view = (r: TokenRow) =>
    toTokenView(r, (nameOf.get(r.user_id) as { username: string } | undefined)?.username ?? null);

  return {
    list: () => repo.tokens().map(view),
    create(
      input: {
        name: string;
        userId?: number;
        permissions: string[];
        communeIds?: string[] | null;
        expiresInDays?: number;
      },
      actor: Principal,
    ) {
      const ownerId = input.userId ?? actor.id;
      const owner = repo.byId(ownerId);
      if (!owner) throw new HttpError(400, 'user-not-found', `There is no account ${ownerId}.`, 'userId');
      const allowed = ROLE_PERMISSIONS[owner.role];
      for (const p of input.permissions) {
        if (!isPermission(p))
          throw new HttpError(400, 'unknown-permission', `There is no permission ${p}.`, 'permissions');
        if (!allowed.has(p))
          throw new HttpError(
            400,
            'permission-beyond-role',
            `Account ${owner.username} (${owner.role}) does not have ${p}, so its token cannot have it either.`,
            'permissions',
          );
        if (ownerId !== actor.id && PERSONAL_PERMISSIONS.has(p))
          throw new HttpError(
            400,
            'personal-permission',
            `${p} is ${owner.username}'s own to use: a token for another person's account cannot carry it. Only they may act with it.`,
            'permissions',
          );
      }
      const ownerScope = parseCommuneIds(owner.commune_ids);
      const communeIds = input.communeIds ?? null;
      if (communeIds && ownerScope)
        for (const c of communeIds)
          if (!ownerScope.includes(c))
            throw new HttpError(
              400,
              'outside-scope',
              `Account ${owner.username} does not cover commune ${c}.`,
              'communeIds',
            );
      const token = `loa_${randomBytes(32).toString('base64url')}`;
      const id = repo.insertToken({
        userId: ownerId,
        name: input.name,
        tokenHash: hashToken(token),
        permissions: [...new Set(input.permissions)],
        communeIds,
        createdBy: actor.id,
        expiresAt: input.expiresInDays ? Date.now() + input.expiresInDays * 86400_000 : null,
      });
      return { token, apiToken: view(repo.tokenById(id)!) };
    },
    revoke(id: number) {
      const row = repo.tokenById(id);
      if (!row) throw new HttpError(404, 'token-not-found', `There is no API token ${id}.`);
      repo.revokeToken(id);
      return view(repo.tokenById(id)!);
    },
  };
}
