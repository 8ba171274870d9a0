// Sessions: a random token in an HttpOnly, SameSite=Strict cookie; only its hash is stored, so a
// copy of the database holds no usable session. Every /api route needs one unless it says public.
// Roles, CSRF, lockout and API tokens come with the accounts issue (#4).
import { createHash, randomBytes } from 'node:crypto';
import fp from 'fastify-plugin';
import cookie from '@fastify/cookie';
import { authRepo, type Role } from './auth.repo.js';
import { hashPassword, randomPassword } from './passwords.js';

export const SESSION_COOKIE = 'loa_session';
const SESSION_MS = 12 * 3600_000;

export interface SessionUser {
  id: number;
  username: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    user: SessionUser | null;
  }
  interface FastifyContextConfig {
    /** Routes reachable without a session (login, health). */
    public?: boolean;
  }
  interface FastifyInstance {
    sessions: {
      create(userId: number): { token: string; expiresAt: number };
      destroy(token: string): void;
    };
    /** Set when this start created the first admin: the password to print once. */
    firstAdmin: { username: string; password: string } | undefined;
  }
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export default fp(
  async (app) => {
    await app.register(cookie);
    const repo = authRepo(app.db);

    let firstAdmin: { username: string; password: string } | undefined;
    if (repo.count() === 0) {
      const password = process.env.LOA_ADMIN_PASSWORD || randomPassword();
      repo.insertUser('admin', await hashPassword(password), 'admin');
      firstAdmin = { username: 'admin', password };
    }
    app.decorate('firstAdmin', firstAdmin);
    app.decorate('sessions', {
      create(userId: number) {
        const token = randomBytes(32).toString('base64url');
        const expiresAt = Date.now() + SESSION_MS;
        repo.insertSession(hashToken(token), userId, expiresAt);
        return { token, expiresAt };
      },
      destroy(token: string) {
        repo.deleteSession(hashToken(token));
      },
    });

    app.decorateRequest('user', null);
    app.addHook('onRequest', async (req, reply) => {
      const token = req.cookies[SESSION_COOKIE];
      if (token) {
        const row = repo.session(hashToken(token), Date.now());
        if (row) req.user = { id: row.id, username: row.username, role: row.role };
      }
      if (!req.url.startsWith('/api/') || req.routeOptions.config?.public) return;
      if (!req.user) {
        return reply
          .code(401)
          .send({ error: 'unauthenticated', message: 'Sign in first: your session is missing or has expired.' });
      }
    });
  },
  { name: 'auth', dependencies: ['db'] },
);
