// Who is asking, and may they (DESIGN §7, issue #4). A person signs in and gets a random session
// token in an HttpOnly, SameSite=Strict cookie plus a CSRF token in a readable cookie; only hashes
// are stored, so a copy of the database holds no usable session, and deleting the row revokes it.
// A machine sends `Authorization: Bearer <API token>`. Every /api route declares the permission it
// needs (or `public`); one onRequest hook checks it before anything else, and one preHandler keeps
// commune-scoped users inside their communes.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import cookie from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { authRepo, parseCommuneIds, type UserRow } from './auth.repo.js';
import { hashPassword, randomPassword } from './passwords.js';
import { LoginGuard } from './login-guard.js';
import { can, effectivePermissions, intersectScopes, ROLE_PERMISSIONS, type Principal } from './permissions.js';
import type { RoutePermission } from './permissions.js';
import { communeResolver, scopeGuard, type ScopeRule } from './scope.js';
import type {} from '../audit/audit.plugin.js';

export const SESSION_COOKIE = 'loa_session';
export const CSRF_COOKIE = 'loa_csrf';
export const CSRF_HEADER = 'x-csrf-token';
const SESSION_MS = 12 * 3600_000;
const TOUCH_EVERY_MS = 60_000;

/** @deprecated the principal of a request; kept for code written before issue #4. */
export type SessionUser = Principal;

export interface RouteEntry {
  method: string;
  url: string;
  permission: RoutePermission | undefined;
  public: boolean;
  /** 'province' when only principals over every commune may use it (scope.ts). */
  scope: ScopeRule | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    user: Principal | null;
    /** Hash of the session token, when signed in with a session. */
    sessionHash: string | null;
    /** Hash of that session's CSRF token, which a change must echo in x-csrf-token. */
    csrfHash: string | null;
  }
  interface FastifyContextConfig {
    /** Routes reachable without signing in (login, health). */
    public?: boolean;
    /** The permission a route needs (server/src/auth/permissions.ts). */
    permission?: RoutePermission;
    /** How the route ties to a commune, when its URL does not say (scope.ts). */
    scope?: ScopeRule;
    /** Open to a person who must change their password first (who am I, sign out, change it). */
    beforePasswordChange?: boolean;
  }
  interface FastifyInstance {
    sessions: {
      create(userId: number): { token: string; csrf: string; expiresAt: number };
      destroy(token: string): void;
      /** Signs a user out everywhere (but the session of `exceptHash`). */
      revokeUser(userId: number, exceptHash?: string): number;
      /**
       * Called (after the change) when some of a user's sessions end before their time: a
       * sign-out, an account deleted, demoted, its password reset or changed. An open socket
       * checks its own credentials again, so nothing a person started keeps going once they are
       * out (a live broadcast).
       */
      onEnd(listener: (userId: number) => void): () => void;
    };
    loginGuard: LoginGuard;
    /** Set when this start created the first admin: the password to print once. */
    firstAdmin: { username: string; password: string } | undefined;
    /** Every route as registered, with what it declares: the route-table test walks it. */
    routeTable: RouteEntry[];
  }
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && x.length === y.length && timingSafeEqual(x, y);
}

export function principalOf(
  row: UserRow,
  via: 'session' | 'token',
  token?: { id: number; permissions: string[]; communeIds: string[] | null; createdBy?: number | null },
): Principal {
  const communeIds = parseCommuneIds(row.commune_ids);
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    communeIds: token ? intersectScopes(communeIds, token.communeIds) : communeIds,
    permissions: token ? effectivePermissions(row.role, token.permissions) : new Set(ROLE_PERMISSIONS[row.role]),
    via,
    ...(token ? { tokenId: token.id, tokenCreatedBy: token.createdBy ?? null } : {}),
    // A token acts for a machine account whose password nobody uses; only a person signing in
    // with a password someone else chose must change it first.
    ...(!token && row.must_change_password === 1 ? { mustChangePassword: true } : {}),
  };
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
function deny(reply: FastifyReply, status: number, error: string, message: string) {
  // A refused WebSocket upgrade must not leave its socket open (a browser retrying with an expired
  // session would pile them up).
  if (reply.request.headers.upgrade) reply.header('connection', 'close');
  return reply.code(status).send({ error, message });
}

export default fp(
  async (app) => {
    await app.register(cookie);
    const repo = authRepo(app.db);
    const communeOf = communeResolver(app.db);
    const log = app.log.child({ name: 'auth' });

    let firstAdmin: { username: string; password: string } | undefined;
    if (repo.count() === 0) {
      const password = app.config.adminPassword ?? randomPassword();
      repo.insertUser({ username: 'admin', hash: await hashPassword(password), role: 'admin', communeIds: null });
      firstAdmin = { username: 'admin', password };
    }
    app.decorate('firstAdmin', firstAdmin);
    app.decorate(
      'loginGuard',
      new LoginGuard({
        maxFailures: app.config.loginMaxFailures,
        lockoutMs: app.config.loginLockoutMs,
        // An office behind one NAT signs many people in at 7 a.m.; a password sprayer needs thousands.
        maxPerIp: 60,
        ipWindowMs: 60_000,
      }),
    );
    const endListeners = new Set<(userId: number) => void>();
    // Deferred: the change (a deletion is one transaction) is committed before anyone looks.
    const ended = (userId: number) =>
      setImmediate(() => {
        for (const fn of endListeners) {
          try {
            fn(userId);
          } catch (err) {
            log.error({ err }, 'auth: a listener of ended sessions failed');
          }
        }
      });
    app.decorate('sessions', {
      create(userId: number) {
        const token = randomBytes(32).toString('base64url');
        const csrf = randomBytes(32).toString('base64url');
        const expiresAt = Date.now() + SESSION_MS;
        repo.insertSession(hashToken(token), hashToken(csrf), userId, expiresAt);
        return { token, csrf, expiresAt };
      },
      destroy(token: string) {
        const hash = hashToken(token);
        const row = repo.session(hash, 0);
        repo.deleteSession(hash);
        if (row) ended(row.id);
      },
      revokeUser(userId: number, exceptHash?: string) {
        const n = repo.deleteUserSessions(userId, exceptHash);
        ended(userId);
        return n;
      },
      onEnd(listener: (userId: number) => void) {
        endListeners.add(listener);
        return () => void endListeners.delete(listener);
      },
    });
    repo.purgeSessions(Date.now());
    const purge = setInterval(() => repo.purgeSessions(Date.now()), 3600_000);
    purge.unref();
    app.addHook('onClose', async () => clearInterval(purge));

    const routeTable: RouteEntry[] = [];
    app.decorate('routeTable', routeTable);
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const config = (route.config ?? {}) as { permission?: RoutePermission; public?: boolean; scope?: ScopeRule };
      for (const method of methods) {
        routeTable.push({
          method,
          url: route.url,
          permission: config.permission,
          public: config.public === true,
          scope: config.scope,
        });
      }
      if (route.url.startsWith('/api/') && !config.permission && !config.public)
        log.error({ url: route.url }, 'auth: route declares no permission; it will refuse every request');
    });

    app.decorateRequest('user', null);
    app.decorateRequest('sessionHash', null);
    app.decorateRequest('csrfHash', null);

    function authenticate(req: FastifyRequest): 'ok' | 'bad-token' {
      const header = req.headers.authorization;
      if (header !== undefined) {
        const m = /^Bearer\s+(\S{20,200})$/.exec(header);
        const now = Date.now();
        const row = m ? repo.tokenByHash(hashToken(m[1]!), now) : undefined;
        const owner = row ? repo.byId(row.user_id) : undefined;
        if (!row || !owner) return 'bad-token';
        if (!row.last_used_at || now - row.last_used_at > TOUCH_EVERY_MS) repo.touchToken(row.id, now);
        req.user = principalOf(owner, 'token', {
          id: row.id,
          permissions: JSON.parse(row.permissions) as string[],
          communeIds: parseCommuneIds(row.commune_ids),
          createdBy: row.created_by,
        });
        return 'ok';
      }
      const token = req.cookies[SESSION_COOKIE];
      if (!token) return 'ok';
      const hash = hashToken(token);
      const now = Date.now();
      const row = repo.session(hash, now);
      if (!row) return 'ok';
      if (!row.last_seen_at || now - row.last_seen_at > TOUCH_EVERY_MS) repo.touchSession(hash, now);
      req.user = principalOf(row, 'session');
      req.sessionHash = hash;
      req.csrfHash = row.csrf_hash;
      return 'ok';
    }

    app.addHook('onRequest', async (req, reply) => {
      const auth = authenticate(req);
      if (!req.url.startsWith('/api/')) return;
      const config = req.routeOptions.config;
      if (config?.public) return;
      if (auth === 'bad-token')
        return deny(
          reply,
          401,
          'unauthenticated',
          'The API token is unknown, revoked or expired. Ask an administrator for a new one.',
        );
      if (!req.user)
        return deny(reply, 401, 'unauthenticated', 'Sign in first: your session is missing or has expired.');
      if (!req.routeOptions.url) return; // no such route: the 404 handler answers
      if (MUTATING.has(req.method) && req.user.via === 'session') {
        const sent = req.headers[CSRF_HEADER];
        const expected = req.csrfHash ?? '';
        if (typeof sent !== 'string' || !sameHash(hashToken(sent), expected)) {
          return deny(
            reply,
            403,
            'csrf-mismatch',
            `This change came without the page's security token (${CSRF_HEADER}). Reload the page and try again.`,
          );
        }
      }
      if (req.user.mustChangePassword && !config?.beforePasswordChange)
        return deny(
          reply,
          403,
          'password-change-required',
          'Your password was set by someone else: change it first (POST /api/auth/password), then go on.',
        );
      const permission = config?.permission;
      if (!permission) {
        req.log.error({ url: req.routeOptions.url }, 'auth: route declares no permission');
        return deny(
          reply,
          500,
          'route-without-permission',
          'This route declares no permission, so nobody may use it. Tell the developers.',
        );
      }
      if (!can(req.user, permission)) {
        return deny(
          reply,
          403,
          'forbidden',
          `Your account (${req.user.role}${req.user.via === 'token' ? ', API token' : ''}) may not do this: it needs the ${permission} permission. Ask an administrator.`,
        );
      }
      // Before the body is read, like the permission: a refusal never depends on what was sent.
      if (config?.scope === 'province' && req.user.communeIds !== null)
        return deny(
          reply,
          403,
          'forbidden',
          'Only an account over every commune may do this. Ask a province administrator.',
        );
    });

    app.addHook('preHandler', scopeGuard(communeOf));
  },
  { name: 'auth', dependencies: ['db', 'audit'] },
);
