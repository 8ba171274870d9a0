// Emergency broadcast API (issue #8). POST needs the `emergency` permission and is audited (the
// audit hook records every mutation; the handler adds what aired where).
import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { inScope } from '../auth/permissions.js';
import { EmergencyParams, EmergencyRequest, EmergencyView } from './emergency.schemas.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const emergency = app.services.emergency;

  app.post(
    '/api/emergency',
    {
      config: { permission: 'emergency', audit: 'emergency.start' },
      schema: { body: EmergencyRequest, response: { 201: EmergencyView } },
    },
    async (req, reply) => {
      // The commune in the body is checked against the account's scope by the auth hook.
      app.services.communes.get(req.body.communeId);
      const started = await emergency.start(req.body, req.user?.id ?? null);
      req.audit = {
        subject: started.id,
        communeId: started.communeId,
        detail: {
          sha256: started.sha256,
          repeat: started.repeat,
          volume: started.volume,
          validUntil: started.validUntil,
          units: started.units.map((u) => u.unitId),
          ...('ttsText' in req.body.content ? { ttsText: req.body.content.ttsText } : {}),
        },
      };
      return reply.code(201).send(started);
    },
  );

  app.post(
    '/api/emergency/:id/stop',
    {
      config: { permission: 'emergency', audit: 'emergency.stop', scope: 'none' },
      schema: { params: EmergencyParams, response: { 200: EmergencyView } },
    },
    async (req) => {
      const stopped = await emergency.stop(req.params.id, req.user?.id ?? null, (c) => inScope(req.user, c));
      req.audit = { subject: stopped.id, communeId: stopped.communeId, detail: { units: stopped.units.length } };
      return stopped;
    },
  );

  app.get(
    '/api/emergency',
    {
      config: { permission: 'bulletins:read' },
      schema: {
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) }),
        response: { 200: Type.Object({ emergencies: Type.Array(EmergencyView) }) },
      },
    },
    async (req) => ({ emergencies: emergency.list(req.user?.communeIds ?? null, req.query.limit) }),
  );

  app.get(
    '/api/emergency/:id',
    { config: { permission: 'bulletins:read' }, schema: { params: EmergencyParams, response: { 200: EmergencyView } } },
    async (req) => emergency.get(req.params.id, (c) => inScope(req.user, c)),
  );
};
export default routes;
