import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BulletinParams, BulletinView, Clock, CreateBulletinBody, RejectBody } from './bulletins.schemas.js';

const WindowSpec = Type.Object(
  { id: Type.String({ pattern: '^[a-z0-9-]{1,32}$' }), start: Clock, end: Clock },
  { additionalProperties: false },
);
const CommuneView = Type.Object({ id: Type.String(), name: Type.String(), timeZone: Type.String(), windows: Type.Array(WindowSpec) });

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { communes, bulletins, plans } = app.services;

  app.get('/api/communes', { schema: { response: { 200: Type.Object({ communes: Type.Array(CommuneView) }) } } }, async () => ({
    communes: communes.list(),
  }));

  app.put(
    '/api/communes/:id/windows',
    {
      schema: {
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        body: Type.Object({ windows: Type.Array(WindowSpec, { minItems: 1, maxItems: 12 }) }, { additionalProperties: false }),
        response: { 200: CommuneView },
      },
    },
    async (req) => {
      const c = communes.setWindows(req.params.id, req.body.windows);
      return { id: c.id, name: c.name, timeZone: c.timeZone, windows: c.windows };
    },
  );

  app.get('/api/bulletins', { schema: { response: { 200: Type.Object({ bulletins: Type.Array(BulletinView) }) } } }, async () => ({
    bulletins: bulletins.list(),
  }));
  app.get('/api/bulletins/:id', { schema: { params: BulletinParams, response: { 200: BulletinView } } }, async (req) => bulletins.get(req.params.id));
  app.post('/api/bulletins', { schema: { body: CreateBulletinBody, response: { 201: BulletinView } } }, async (req, reply) =>
    reply.code(201).send(bulletins.create(req.body, req.user?.id ?? null)),
  );
  for (const action of ['submit', 'approve', 'withdraw'] as const) {
    app.post(`/api/bulletins/:id/${action}`, { schema: { params: BulletinParams, response: { 200: BulletinView } } }, async (req) =>
      bulletins.transition(req.params.id, action, req.user?.id ?? null),
    );
  }
  app.post('/api/bulletins/:id/reject', { schema: { params: BulletinParams, body: RejectBody, response: { 200: BulletinView } } }, async (req) =>
    bulletins.transition(req.params.id, 'reject', req.user?.id ?? null, req.body.reason),
  );

  app.get('/api/plans/overbooked', async () => ({ overbooked: plans.overbooked() }));
};
export default routes;
