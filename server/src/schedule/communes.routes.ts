import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Clock } from './bulletins.schemas.js';
import { inScope } from '../auth/permissions.js';

export const WindowSpecSchema = Type.Object(
  { id: Type.String({ pattern: '^[a-z0-9-]{1,32}$' }), start: Clock, end: Clock },
  { additionalProperties: false },
);
const QuietHours = Type.Union([
  Type.Object({ start: Clock, end: Clock }, { additionalProperties: false }),
  Type.Null(),
]);
const CommuneView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  timeZone: Type.String(),
  windows: Type.Array(WindowSpecSchema),
  quietHours: QuietHours,
});
const CommuneId = Type.Object({ id: Type.String({ pattern: '^[a-z0-9-]{1,64}$' }) });
const Village = Type.Object({ id: Type.String(), communeId: Type.String(), name: Type.String() });
const DateQuery = Type.Object({ date: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })) });

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { communes, timeline } = app.services;
  const view = (c: ReturnType<typeof communes.get>) => ({
    id: c.id,
    name: c.name,
    timeZone: c.timeZone,
    windows: c.windows,
    quietHours: c.quietHours,
  });

  app.get(
    '/api/communes',
    {
      config: { permission: 'schedule:read' },
      schema: { response: { 200: Type.Object({ communes: Type.Array(CommuneView) }) } },
    },
    async (req) => ({
      communes: communes
        .list()
        .filter((c) => inScope(req.user, c.id))
        .map(view),
    }),
  );
  app.get(
    '/api/communes/:id',
    { config: { permission: 'schedule:read' }, schema: { params: CommuneId, response: { 200: CommuneView } } },
    async (req) => view(communes.get(req.params.id)),
  );
  app.post(
    '/api/communes',
    {
      // A commune-scoped account could not even see a commune it created.
      config: { permission: 'schedule:manage', scope: 'province', audit: 'commune.create' },
      schema: {
        body: Type.Object(
          {
            id: Type.String({ pattern: '^[a-z0-9-]{1,64}$' }),
            name: Type.String({ minLength: 1, maxLength: 200 }),
            timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            windows: Type.Optional(Type.Array(WindowSpecSchema, { minItems: 1, maxItems: 12 })),
            quietHours: Type.Optional(QuietHours),
          },
          { additionalProperties: false },
        ),
        response: { 201: CommuneView },
      },
    },
    async (req, reply) => reply.code(201).send(view(communes.create(req.body, app.config.timeZone))),
  );
  app.patch(
    '/api/communes/:id',
    {
      config: { permission: 'schedule:manage', audit: 'commune.update' },
      schema: {
        params: CommuneId,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            quietHours: Type.Optional(QuietHours),
          },
          { additionalProperties: false },
        ),
        response: { 200: CommuneView },
      },
    },
    async (req) => view(communes.update(req.params.id, req.body)),
  );
  app.put(
    '/api/communes/:id/windows',
    {
      config: { permission: 'schedule:manage', audit: 'commune.windows' },
      schema: {
        params: CommuneId,
        body: Type.Object(
          { windows: Type.Array(WindowSpecSchema, { minItems: 1, maxItems: 12 }) },
          { additionalProperties: false },
        ),
        response: { 200: CommuneView },
      },
    },
    async (req) => view(communes.setWindows(req.params.id, req.body.windows)),
  );

  app.get(
    '/api/communes/:id/villages',
    {
      config: { permission: 'schedule:read' },
      schema: { params: CommuneId, response: { 200: Type.Object({ villages: Type.Array(Village) }) } },
    },
    async (req) => ({
      villages: communes.villages(req.params.id),
    }),
  );
  app.post(
    '/api/communes/:id/villages',
    {
      config: { permission: 'schedule:manage', audit: 'village.create' },
      schema: {
        params: CommuneId,
        body: Type.Object(
          {
            id: Type.Optional(Type.String({ pattern: '^[a-z0-9-]{1,64}$' })),
            name: Type.String({ minLength: 1, maxLength: 200 }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Village },
      },
    },
    async (req, reply) => reply.code(201).send(communes.createVillage(req.params.id, req.body)),
  );

  // What airs where on a date (default: today in the commune's time zone).
  app.get(
    '/api/communes/:id/timeline',
    { config: { permission: 'schedule:read' }, schema: { params: CommuneId, querystring: DateQuery } },
    async (req, reply) => {
      const { body, etag } = timeline.communeJson(req.params.id, req.query.date);
      // A browser asks again with the tag it holds: an unchanged day costs no transfer (the
      // dashboard reloads it on every published plan, the schedule screen a week of days).
      reply.header('etag', etag).header('cache-control', 'private, no-cache');
      if (holdsTag(req.headers['if-none-match'], etag)) return reply.code(304).send();
      return reply.type('application/json; charset=utf-8').send(body);
    },
  );
};
export default routes;

/** Whether an If-None-Match header names this (strong) tag: a list, `*`, or the weak form match. */
function holdsTag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}
