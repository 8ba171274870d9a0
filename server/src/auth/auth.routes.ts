// Signing in and out, who am I, changing one's own password.
import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../http-error.js';
import { authRepo } from './auth.repo.js';
import { CSRF_COOKIE, SESSION_COOKIE, principalOf } from './auth.plugin.js';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.js';
import type { Principal } from './permissions.js';

export const UserSelf = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  role: Type.String(),
  communeIds: Type.Union([Type.Array(Type.String()), Type.Null()]),
  permissions: Type.Array(Type.String()),
  mustChangePassword: Type.Boolean(),
});

// Verified against when the user name is unknown, so timing does not reveal which names exist.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const repo = authRepo(app.db);
  const guard = app.loginGuard;

  const self = (who: Principal) => ({
    id: who.id,
    username: who.username,
    role: who.role,
    communeIds: who.communeIds,
    permissions: [...who.permissions].sort(),
    mustChangePassword: repo.byId(who.id)?.must_change_password === 1,
  });

  function setSessionCookies(
    req: FastifyRequest,
    reply: FastifyReply,
    s: { token: string; csrf: string; expiresAt: number },
  ) {
    const common = {
      sameSite: 'strict' as const,
      path: '/',
      secure: req.protocol === 'https',
      expires: new Date(s.expiresAt),
    };
    reply.setCookie(SESSION_COOKIE, s.token, { ...common, httpOnly: true });
    // Readable by the page's script, which echoes it in the x-csrf-token header of every change.
    reply.setCookie(CSRF_COOKIE, s.csrf, { ...common, httpOnly: false });
  }

  /**
   * Brute force (issue #4): every password check — signing in, or the current password when
   * changing it (a stolen session must not guess the password) — counts against the address and
   * the account; repeated failures lock the account.
   */
  function checkGuard(username: string, req: FastifyRequest, reply: FastifyReply) {
    const verdict = guard.check(username, req.ip);
    if (verdict.ok) return;
    const minutes = Math.max(1, Math.ceil(verdict.retryAfterMs / 60_000));
    reply.header('retry-after', String(Math.ceil(verdict.retryAfterMs / 1000)));
    throw verdict.reason === 'locked'
      ? new HttpError(
          429,
          'account-locked',
          `Too many wrong passwords for this account: it is locked for ${minutes} more minute(s). Wait, or ask an administrator to reset the password.`,
        )
      : new HttpError(
          429,
          'too-many-attempts',
          `Too many password attempts from this address. Wait ${minutes} minute(s).`,
        );
  }
  function failed(username: string, req: FastifyRequest) {
    if (!guard.fail(username)) return;
    app.log.warn({ username, ip: req.ip }, 'auth: account locked after repeated failures');
    app.audit.record({ action: 'auth.locked', who: null, subject: username, ip: req.ip, detail: { username } });
  }

  app.post(
    '/api/auth/login',
    {
      config: { public: true, audit: false },
      schema: {
        body: Type.Object({
          username: Type.String({ minLength: 1, maxLength: 100 }),
          password: Type.String({ minLength: 1, maxLength: 200 }),
        }),
        response: { 200: Type.Object({ user: UserSelf }) },
      },
    },
    async (req, reply) => {
      const { username, password } = req.body;
      checkGuard(username, req, reply);
      const row = repo.byName(username);
      const ok = await verifyPassword(password, row?.password_hash ?? DUMMY_HASH);
      if (!row || !ok) {
        failed(username, req);
        throw new HttpError(401, 'bad-credentials', 'Wrong user name or password. Check both and try again.');
      }
      guard.succeed(username);
      const session = app.sessions.create(row.id);
      setSessionCookies(req, reply, session);
      const who = principalOf(row, 'session');
      app.audit.record({ action: 'auth.login', who, subject: String(row.id), ip: req.ip });
      return { user: self(who) };
    },
  );

  app.post(
    '/api/auth/logout',
    {
      config: { permission: 'self', audit: 'auth.logout', beforePasswordChange: true },
      schema: { response: { 204: Type.Null() } },
    },
    async (req, reply) => {
      const token = req.cookies[SESSION_COOKIE];
      if (token) app.sessions.destroy(token);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      reply.clearCookie(CSRF_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/auth/me',
    {
      config: { permission: 'self', beforePasswordChange: true },
      schema: { response: { 200: Type.Object({ user: UserSelf }) } },
    },
    async (req) => ({ user: self(req.user!) }),
  );

  // Changing one's password signs out every other session of the account (a stolen cookie dies).
  app.post(
    '/api/auth/password',
    {
      config: { permission: 'self', audit: 'auth.password-change', beforePasswordChange: true },
      schema: {
        body: Type.Object(
          {
            currentPassword: Type.String({ minLength: 1, maxLength: 200 }),
            newPassword: Type.String({ minLength: 1, maxLength: 200 }),
          },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const who = req.user!;
      if (who.via !== 'session')
        throw new HttpError(403, 'forbidden', 'An API token cannot change a password; sign in as the person.');
      const row = repo.byId(who.id);
      if (!row) throw new HttpError(401, 'unauthenticated', 'Sign in first: your account is gone.');
      checkGuard(row.username, req, reply);
      if (!(await verifyPassword(req.body.currentPassword, row.password_hash))) {
        failed(row.username, req);
        throw new HttpError(400, 'wrong-password', 'Your current password is not right.', 'currentPassword');
      }
      guard.succeed(row.username);
      const problem = passwordProblem(req.body.newPassword, row.username);
      if (problem) throw new HttpError(400, 'weak-password', problem, 'newPassword');
      repo.setPassword(row.id, await hashPassword(req.body.newPassword), false);
      const revoked = app.sessions.revokeUser(row.id, req.sessionHash ?? '');
      req.audit = { subject: String(row.id), detail: { otherSessionsRevoked: revoked } };
      return reply.code(204).send(null);
    },
  );
};
export default routes;
