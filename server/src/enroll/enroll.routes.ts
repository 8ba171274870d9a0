import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { inScope } from '../auth/permissions.js';
import { HttpError } from '../http-error.js';
import { CreatedToken, CreateTokenBody, EnrollBody, Enrollment, TokenView } from './enroll.schemas.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const enroll = app.services.enroll;
  const communeOfUnit = app.db.prepare('SELECT commune_id AS c FROM units WHERE id = ?');

  app.post(
    '/api/enrollment-tokens',
    {
      config: { permission: 'units:manage', audit: 'unit.enrollment-token' },
      schema: { body: CreateTokenBody, response: { 201: CreatedToken } },
    },
    async (req, reply) => {
      const unitId = req.body.unitId;
      const commune = unitId ? (communeOfUnit.get(unitId) as { c: string } | undefined)?.c : undefined;
      // Outside one's communes, a unit does not exist (the same answer as for a missing one).
      if (unitId && commune !== undefined && !inScope(req.user, commune))
        throw new HttpError(404, 'unit-not-found', `There is no unit ${unitId}.`);
      const created = enroll.create(req.body, req.user?.id ?? null);
      req.audit = { subject: created.unitId, communeId: created.communeId, detail: { enrollment: created.id } };
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/api/enrollment-tokens',
    {
      config: { permission: 'units:read' },
      schema: { response: { 200: Type.Object({ tokens: Type.Array(TokenView) }) } },
    },
    async (req) => ({ tokens: enroll.list().filter((t) => inScope(req.user, t.communeId)) }),
  );

  app.delete(
    '/api/enrollment-tokens/:tokenId',
    {
      config: { permission: 'units:manage', audit: 'unit.enrollment-token-revoke' },
      schema: { params: Type.Object({ tokenId: Type.String({ maxLength: 64 }) }) },
    },
    async (req, reply) => {
      const row = enroll.get(req.params.tokenId);
      if (!inScope(req.user, row.commune_id))
        throw new HttpError(404, 'enrollment-token-not-found', `There is no enrollment token ${req.params.tokenId}.`);
      enroll.revoke(row.id);
      return reply.code(204).send();
    },
  );

  // Public: the board has no account, only the one-time token (its 256 bits are the credential).
  app.post(
    '/api/enroll',
    {
      config: { public: true, audit: 'unit.enroll' },
      schema: { body: EnrollBody, response: { 200: Enrollment } },
    },
    async (req) => {
      const result = enroll.enroll(req.body.token);
      // A replaced board's old secret stops working now; a new unit gets its plan.
      await app.unitCredentialsChanged(result.unit.id);
      if (result.created) app.services.plans.schedule(undefined, [result.unit.communeId]);
      req.audit = {
        subject: result.unit.id,
        communeId: result.unit.communeId,
        detail: { enrollment: result.tokenId, replaced: !result.created },
      };
      req.log.info({ unit: result.unit.id, enrollment: result.tokenId }, 'enroll: unit enrolled');
      return {
        unitId: result.unit.id,
        secret: result.secret,
        serverPublicKey: app.signer.publicKeyPem,
        mqttUrl: mqttUrlFor(req),
      };
    },
  );

  /** What a board should connect to: PUBLIC_MQTT_URL, the external broker, or this host's embedded one. */
  function mqttUrlFor(req: FastifyRequest): string {
    const { config } = app;
    if (config.publicMqttUrl) return config.publicMqttUrl;
    if (config.mqttUrl) return config.mqttUrl;
    const host = req.hostname.includes(':') && !req.hostname.startsWith('[') ? `[${req.hostname}]` : req.hostname;
    if (config.tls) return `mqtts://${host}:${config.mqttsPort}`;
    return `mqtt://${host}:${app.embeddedBroker?.port ?? config.mqttPort}`;
  }
};
export default routes;
