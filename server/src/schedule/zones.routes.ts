import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { WindowSpecSchema } from './communes.routes.js';
import { inScope } from '../auth/permissions.js';

const ZoneView = Type.Object({
  id: Type.String(),
  communeId: Type.String(),
  name: Type.String(),
  unitIds: Type.Array(Type.String()),
  windows: Type.Union([Type.Array(WindowSpecSchema), Type.Null()]),
});
const zoneFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  unitIds: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 10000, uniqueItems: true }),
  windows: Type.Optional(Type.Union([Type.Array(WindowSpecSchema, { minItems: 1, maxItems: 12 }), Type.Null()])),
};
const ZoneBody = Type.Object(zoneFields, { additionalProperties: false });
const CreateZoneBody = Type.Object(
  {
    ...zoneFields,
    id: Type.Optional(Type.String({ pattern: '^[a-z0-9-]{1,64}$' })),
    communeId: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
const ZoneId = Type.Object({ id: Type.String({ pattern: '^[a-z0-9-]{1,64}$' }) });

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { zones } = app.services;
  app.get(
    '/api/zones',
    {
      config: { permission: 'schedule:read' },
      schema: {
        querystring: Type.Object({ communeId: Type.Optional(Type.String({ maxLength: 64 })) }),
        response: { 200: Type.Object({ zones: Type.Array(ZoneView) }) },
      },
    },
    async (req) => ({
      zones: zones.list(req.query.communeId ?? null).filter((z) => inScope(req.user, z.communeId)),
    }),
  );
  app.get(
    '/api/zones/:id',
    { config: { permission: 'schedule:read' }, schema: { params: ZoneId, response: { 200: ZoneView } } },
    async (req) => zones.get(req.params.id),
  );
  app.post(
    '/api/zones',
    {
      config: { permission: 'schedule:manage', audit: 'zone.create' },
      schema: {
        body: CreateZoneBody,
        response: { 201: ZoneView },
      },
    },
    async (req, reply) => reply.code(201).send(zones.create(req.body)),
  );
  app.put(
    '/api/zones/:id',
    {
      config: { permission: 'schedule:manage', audit: 'zone.update' },
      schema: { params: ZoneId, body: ZoneBody, response: { 200: ZoneView } },
    },
    async (req) => zones.update(req.params.id, req.body),
  );
  app.delete(
    '/api/zones/:id',
    {
      config: { permission: 'schedule:manage', audit: 'zone.delete' },
      schema: { params: ZoneId, response: { 204: Type.Null() } },
    },
    async (req, reply) => {
      zones.remove(req.params.id);
      return reply.code(204).send(null);
    },
  );
};
export default routes;
