import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BulletinParams, BulletinView, CreateBulletinBody, RejectBody } from './bulletins.schemas.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { bulletins, plans } = app.services;

  app.get(
    '/api/bulletins',
    { schema: { response: { 200: Type.Object({ bulletins: Type.Array(BulletinView) }) } } },
    async () => ({
      bulletins: bulletins.list(),
    }),
  );
  app.get('/api/bulletins/:id', { schema: { params: BulletinParams, response: { 200: BulletinView } } }, async (req) =>
    bulletins.get(req.params.id),
  );
  app.post(
    '/api/bulletins',
    { schema: { body: CreateBulletinBody, response: { 201: BulletinView } } },
    async (req, reply) => reply.code(201).send(bulletins.create(req.body, req.user?.id ?? null)),
  );
  for (const action of ['submit', 'approve', 'withdraw'] as const) {
    app.post(
      `/api/bulletins/:id/${action}`,
      { schema: { params: BulletinParams, response: { 200: BulletinView } } },
      async (req) => bulletins.transition(req.params.id, action, req.user?.id ?? null),
    );
  }
  app.post(
    '/api/bulletins/:id/reject',
    { schema: { params: BulletinParams, body: RejectBody, response: { 200: BulletinView } } },
    async (req) => bulletins.transition(req.params.id, 'reject', req.user?.id ?? null, req.body.reason),
  );

  app.get('/api/plans/overbooked', async () => ({ overbooked: plans.overbooked() }));
};
export default routes;
