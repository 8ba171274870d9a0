// Accounts, for administrators over every commune (users:manage).
import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ROLES } from './permissions.js';
import { usersService } from './users.service.js';

const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));
const CommuneIds = Type.Union([
  Type.Array(Type.String({ pattern: '^[a-z0-9-]{1,64}$' }), { maxItems: 1000, uniqueItems: true }),
  Type.Null(),
]);
export const UserView = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  role: Type.String(),
  communeIds: Type.Union([Type.Array(Type.String()), Type.Null()]),
  permissions: Type.Array(Type.String()),
  createdAt: Type.Integer(),
  passwordChangedAt: Type.Union([Type.Integer(), Type.Null()]),
  mustChangePassword: Type.Boolean(),
  lockedUntil: Type.Union([Type.Integer(), Type.Null()]),
});
const UserId = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const manage = { permission: 'users:manage', scope: 'province' } as const;

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const users = usersService(app.db, app.loginGuard, app.sessions);

  app.get(
    '/api/users',
    { config: manage, schema: { response: { 200: Type.Object({ users: Type.Array(UserView) }) } } },
    async () => ({ users: users.list() }),
  );

  app.post(
    '/api/users',
    {
      config: { ...manage, audit: 'user.create' },
      schema: {
        body: Type.Object(
          {
            // Ascii names: they are typed on phones and in scripts, and must not look alike.
            username: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$' }),
            role: RoleSchema,
            communeIds: Type.Optional(CommuneIds),
            password: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            user: UserView,
            /** Only when the server made it: shown once, to pass to the person. */
            password: Type.Optional(Type.String()),
          }),
        },
      },
    },
    async (req, reply) => reply.code(201).send(await users.create(req.body)),
  );

  app.patch(
    '/api/users/:id',
    {
      config: { ...manage, audit: 'user.update' },
      schema: {
        params: UserId,
        body: Type.Object(
          { role: Type.Optional(RoleSchema), communeIds: Type.Optional(CommuneIds) },
          { additionalProperties: false },
        ),
        response: { 200: UserView },
      },
    },
    async (req) => users.update(req.params.id, req.body, req.user!),
  );

  app.delete(
    '/api/users/:id',
    { config: { ...manage, audit: 'user.delete' }, schema: { params: UserId, response: { 204: Type.Null() } } },
    async (req, reply) => {
      const { username } = users.remove(req.params.id, req.user!);
      req.audit = { subject: String(req.params.id), detail: { username } };
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/users/:id/reset-password',
    {
      config: { ...manage, audit: 'user.reset-password' },
      schema: {
        params: UserId,
        response: { 200: Type.Object({ password: Type.String(), sessionsRevoked: Type.Integer() }) },
      },
    },
    async (req) => users.resetPassword(req.params.id),
  );

  app.delete(
    '/api/users/:id/sessions',
    {
      config: { ...manage, audit: 'user.sessions-revoke' },
      schema: { params: UserId, response: { 200: Type.Object({ revoked: Type.Integer() }) } },
    },
    async (req) => ({ revoked: users.revokeSessions(req.params.id) }),
  );
};
export default routes;
