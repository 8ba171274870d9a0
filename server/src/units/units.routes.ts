import type { FastifyReply } from 'fastify';
import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CreateUnitBody, CreatedUnit, UnitParams, UnitView } from './units.schemas.js';
import { inScope } from '../auth/permissions.js';
import { brokerEnforcement } from './units.broker.js';

/** Whether the broker applied a credential change at once (units.broker.ts). */
const BrokerApplied = {
  brokerApplied: Type.Boolean(),
  brokerMessage: Type.Optional(Type.String()),
};

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const units = app.services.units;
  const enforcement = brokerEnforcement(app.config);
  const broker = {
    brokerApplied: enforcement.applied,
    ...(enforcement.message ? { brokerMessage: enforcement.message } : {}),
  };
  if (enforcement.message) app.log.warn({ name: 'units' }, `units: ${enforcement.message}`);

  app.get(
    '/api/units',
    {
      config: { permission: 'units:read' },
      schema: { response: { 200: Type.Object({ units: Type.Array(UnitView) }) } },
    },
    // Written from the rows kept as JSON (issue #10: thousands of units); the schema above still
    // documents the answer, but JSON bytes are sent as they are, so the reply is widened to say so.
    async (req, reply) =>
      (reply as FastifyReply)
        .type('application/json; charset=utf-8')
        .send(await units.listJson((communeId) => inScope(req.user, communeId))),
  );

  app.get(
    '/api/units/:id',
    { config: { permission: 'units:read' }, schema: { params: UnitParams, response: { 200: UnitView } } },
    async (req) => units.get(req.params.id),
  );

  app.post(
    '/api/units',
    {
      config: { permission: 'units:manage', audit: 'unit.create' },
      schema: { body: CreateUnitBody, response: { 201: CreatedUnit } },
    },
    async (req, reply) => {
      const { unit, secret } = units.create(req.body);
      app.services.plans.schedule(undefined, [unit.communeId]);
      // A new secret takes nothing away: Mosquitto may learn it with others created meanwhile.
      await app.unitCredentialsChanged(unit.id, 'soon');
      return reply.code(201).send({
        unit,
        secret,
        mqtt: { username: unit.id, clientId: `loa-unit-${unit.id}` },
        serverPublicKey: app.signer.publicKeyPem,
      });
    },
  );

  // Issue #4: a new secret (shown once) replaces the old, which stops working at once — the unit
  // is disconnected and must come back with the new one. Also re-enrolls a revoked unit.
  app.post(
    '/api/units/:id/secret',
    {
      config: { permission: 'units:manage', audit: 'unit.secret-rotate' },
      schema: {
        params: UnitParams,
        response: {
          200: Type.Object({
            unit: UnitView,
            secret: Type.String(),
            mqtt: Type.Object({ username: Type.String(), clientId: Type.String() }),
            ...BrokerApplied,
          }),
        },
      },
    },
    async (req) => {
      const { unit, secret } = units.rotateSecret(req.params.id);
      await app.unitCredentialsChanged(unit.id);
      return { unit, secret, mqtt: { username: unit.id, clientId: `loa-unit-${unit.id}` }, ...broker };
    },
  );

  // A stolen or retired board: its credential stops working and it is disconnected at once.
  app.post(
    '/api/units/:id/revoke',
    {
      config: { permission: 'units:manage', audit: 'unit.revoke' },
      schema: {
        params: UnitParams,
        response: { 200: Type.Object({ ...UnitView.properties, ...BrokerApplied }) },
      },
    },
    async (req) => {
      const unit = units.revoke(req.params.id);
      await app.unitCredentialsChanged(unit.id);
      return { ...unit, ...broker };
    },
  );

  app.get(
    '/api/units/:id/play-log',
    {
      config: { permission: 'playlog:read' },
      schema: {
        params: UnitParams,
        querystring: Type.Object({
          from: Type.Optional(Type.Integer({ minimum: 0, description: 'ms since the epoch' })),
          to: Type.Optional(Type.Integer({ minimum: 0 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
        }),
        response: { 200: Type.Object({ entries: Type.Array(Type.Record(Type.String(), Type.Unknown())) }) },
      },
    },
    async (req) => {
      units.get(req.params.id);
      const { from = 0, to = Number.MAX_SAFE_INTEGER, limit = 1000 } = req.query;
      return { entries: app.services.events.playLog(req.params.id, from, to, limit) as Array<Record<string, unknown>> };
    },
  );

  // With ?date=YYYY-MM-DD: what the unit will play that day (computed now); without: the plan
  // the server has published to it, as signed.
  app.get(
    '/api/units/:id/plan',
    {
      config: { permission: 'units:read' },
      schema: {
        params: UnitParams,
        querystring: Type.Object({ date: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })) }),
      },
    },
    async (req, reply) => {
      units.get(req.params.id);
      if (req.query.date) return app.services.timeline.unit(req.params.id, req.query.date);
      const body = app.services.plans.body(req.params.id);
      if (!body)
        return reply.code(404).send({ error: 'no-plan', message: 'No plan has been published for this unit yet.' });
      return body;
    },
  );

  app.patch(
    '/api/units/:id',
    {
      config: { permission: 'units:manage', audit: 'unit.update' },
      schema: {
        params: UnitParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            villageId: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: { 200: UnitView },
      },
    },
    async (req) => units.update(req.params.id, req.body),
  );
};
export default routes;
