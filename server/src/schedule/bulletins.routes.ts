import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { inScope } from '../auth/permissions.js';
import { communeResolver } from '../auth/scope.js';
import { BulletinParams, BulletinView, CreateBulletinBody, EditBulletinBody, RejectBody } from './bulletins.schemas.js';
import type { toBulletinView } from './bulletins.service.js';

/**
 * The audit entry of a bulletin change says what, where and when it airs (issue #4: emergencies
 * are audited with who, what, where, when; who and the time of the change are the entry's own).
 */
function audited(req: FastifyRequest, b: ReturnType<typeof toBulletinView>) {
  req.audit = {
    subject: b.id,
    communeId: b.communeId,
    detail: {
      bulletin: {
        title: b.title,
        level: b.level,
        state: b.state,
        mediaSha256: b.mediaSha256,
        targets: b.targets,
        recurrence: b.recurrence,
        validFrom: b.validFrom,
        validUntil: b.validUntil,
        volume: b.volume,
        createdBy: b.createdBy,
        ...(b.rejectedReason ? { rejectedReason: b.rejectedReason } : {}),
      },
    },
  };
  if (b.level === 'emergency')
    req.log.info(
      { bulletin: b.id, state: b.state, by: req.user?.username, targets: b.targets },
      'emergency bulletin changed',
    );
  return b;
}

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { bulletins, plans } = app.services;

  app.get(
    '/api/bulletins',
    {
      config: { permission: 'bulletins:read' },
      schema: { response: { 200: Type.Object({ bulletins: Type.Array(BulletinView) }) } },
    },
    async (req) => ({
      bulletins: bulletins.list().filter((b) => inScope(req.user, b.communeId)),
    }),
  );
  app.get(
    '/api/bulletins/:id',
    { config: { permission: 'bulletins:read' }, schema: { params: BulletinParams, response: { 200: BulletinView } } },
    async (req) => bulletins.get(req.params.id),
  );
  app.post(
    '/api/bulletins',
    {
      config: { permission: 'bulletins:write', audit: 'bulletin.create' },
      schema: { body: CreateBulletinBody, response: { 201: BulletinView } },
    },
    async (req, reply) => reply.code(201).send(audited(req, bulletins.create(req.body, req.user))),
  );
  app.patch(
    '/api/bulletins/:id',
    {
      // The route's gate; bulletins.transitions.ts applies the finer rules (writer or admin, state).
      config: { permission: 'bulletins:write', audit: 'bulletin.edit' },
      schema: { params: BulletinParams, body: EditBulletinBody, response: { 200: BulletinView } },
    },
    async (req) => audited(req, bulletins.edit(req.params.id, req.body, req.user)),
  );
  for (const action of ['submit', 'approve', 'withdraw'] as const) {
    app.post(
      `/api/bulletins/:id/${action}`,
      {
        // The route's gate; bulletins.transitions.ts applies the finer rules (own bulletin, emergency).
        config: {
          permission: action === 'approve' ? 'bulletins:approve' : 'bulletins:write',
          audit: `bulletin.${action}`,
        },
        schema: { params: BulletinParams, response: { 200: BulletinView } },
      },
      async (req) => audited(req, bulletins.transition(req.params.id, action, req.user)),
    );
  }
  app.post(
    '/api/bulletins/:id/reject',
    {
      config: { permission: 'bulletins:approve', audit: 'bulletin.reject' },
      schema: { params: BulletinParams, body: RejectBody, response: { 200: BulletinView } },
    },
    async (req) => audited(req, bulletins.transition(req.params.id, 'reject', req.user, req.body.reason)),
  );

  const communeOf = communeResolver(app.db);
  app.get('/api/plans/overbooked', { config: { permission: 'schedule:read' } }, async (req) => ({
    overbooked: plans.overbooked().filter((o) => inScope(req.user, communeOf('bulletin', o.bulletinId))),
  }));
};
export default routes;
