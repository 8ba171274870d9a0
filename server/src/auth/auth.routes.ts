import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HttpError } from '../http-error.js';
import { authRepo } from './auth.repo.js';
import { SESSION_COOKIE } from './auth.plugin.js';
import { verifyPassword } from './passwords.js';

const User = Type.Object({ id: Type.Integer(), username: Type.String(), role: Type.String() });

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const repo = authRepo(app.db);

  app.post(
    '/api/auth/login',
    {
      config: { public: true },
      schema: {
        body: Type.Object({
          username: Type.String({ minLength: 1, maxLength: 100 }),
          password: Type.String({ minLength: 1, maxLength: 200 }),
        }),
        response: { 200: Type.Object({ user: User }) },
      },
    },
    async (req, reply) => {
      const row = repo.byName(req.body.username);
      // Verify against something even for an unknown user so timing does not reveal user names.
      const ok = await verifyPassword(
        req.body.password,
        row?.password_hash ?? 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      );
      if (!row || !ok)
        throw new HttpError(401, 'bad-credentials', 'Wrong user name or password. Check both and try again.');
      const session = app.sessions.create(row.id);
      reply.setCookie(SESSION_COOKIE, session.token, {
        httpOnly: true,
        sameSite: 'strict',
        path: '/',
        secure: req.protocol === 'https',
        expires: new Date(session.expiresAt),
      });
      return { user: { id: row.id, username: row.username, role: row.role } };
    },
  );

  app.post('/api/auth/logout', { schema: { response: { 204: Type.Null() } } }, async (req, reply) => {
    const token = req.cookies[SESSION_COOKIE];
    if (token) app.sessions.destroy(token);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send(null);
  });

  app.get('/api/auth/me', { schema: { response: { 200: Type.Object({ user: User }) } } }, async (req) => ({
    user: req.user!,
  }));
};
export default routes;
