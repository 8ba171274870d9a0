// API tokens, for administrators over every commune (tokens:manage).
import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PERMISSIONS } from './permissions.js';
import { tokensService } from './tokens.service.js';

const TokenView = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  userId: Type.Integer(),
  username: Type.Union([Type.String(), Type.Null()]),
  permissions: Type.Array(Type.String()),
  communeIds: Type.Union([Type.Array(Type.String()), Type.Null()]),
  createdAt: Type.Integer(),
  expiresAt: Type.Union([Type.Integer(), Type.Null()]),
  lastUsedAt: Type.Union([Type.Integer(), Type.Null()]),
  revokedAt: Type.Union([Type.Integer(), Type.Null()]),
});
const manage = { permission: 'tokens:manage', scope: 'province' } as const;

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const tokens = tokensService(app.db);

  app.get(
    '/api/tokens',
    { config: manage, schema: { response: { 200: Type.Object({ tokens: Type.Array(TokenView) }) } } },
    async () => ({ tokens: tokens.list() }),
  );

  app.post(
    '/api/tokens',
    {
      config: { ...manage, audit: 'token.create' },
      schema: {
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            userId: Type.Optional(Type.Integer({ minimum: 1, description: 'the account it acts for; default: yours' })),
            permissions: Type.Array(Type.Union(PERMISSIONS.map((p) => Type.Literal(p))), {
              minItems: 1,
              maxItems: PERMISSIONS.length,
              uniqueItems: true,
            }),
            communeIds: Type.Optional(
              Type.Union([
                Type.Array(Type.String({ pattern: '^[a-z0-9-]{1,64}$' }), { maxItems: 1000, uniqueItems: true }),
                Type.Null(),
              ]),
            ),
            expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            token: Type.String({ description: 'shown once; send as Authorization: Bearer' }),
            apiToken: TokenView,
          }),
        },
      },
    },
    async (req, reply) => {
      const created = tokens.create(req.body, req.user!);
      req.audit = { subject: String(created.apiToken.id) };
      return reply.code(201).send(created);
    },
  );

  app.delete(
    '/api/tokens/:id',
    {
      config: { ...manage, audit: 'token.revoke' },
      schema: { params: Type.Object({ id: Type.Integer({ minimum: 1 }) }), response: { 200: TokenView } },
    },
    async (req) => tokens.revoke(req.params.id),
  );
};
export default routes;
