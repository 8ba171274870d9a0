// GET /api/audit: who changed what, where and when — newest first, filtered, paged by id.
import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

const Entry = Type.Object({
  id: Type.Integer(),
  at: Type.Integer(),
  userId: Type.Union([Type.Integer(), Type.Null()]),
  username: Type.Union([Type.String(), Type.Null()]),
  via: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  subject: Type.Union([Type.String(), Type.Null()]),
  communeId: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
});

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/audit',
    {
      config: { permission: 'audit:read', scope: 'none' },
      schema: {
        querystring: Type.Object(
          {
            from: Type.Optional(Type.Integer({ minimum: 0, description: 'ms since the epoch, inclusive' })),
            to: Type.Optional(Type.Integer({ minimum: 0, description: 'ms since the epoch, exclusive' })),
            action: Type.Optional(
              Type.String({ minLength: 1, maxLength: 200, description: 'exact, or a prefix ending in *' }),
            ),
            userId: Type.Optional(Type.Integer({ minimum: 1 })),
            subject: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            communeId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            before: Type.Optional(Type.Integer({ minimum: 1, description: 'entries older than this id' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ entries: Type.Array(Entry) }) },
      },
    },
    async (req) => ({
      // A commune-scoped reader sees the entries of their communes only.
      entries: app.audit.list({ ...req.query, limit: req.query.limit ?? 200, scope: req.user!.communeIds }),
    }),
  );
};
export default routes;
