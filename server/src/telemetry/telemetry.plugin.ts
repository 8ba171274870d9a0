// Telemetry history: storage from the hub, the 5-minute maintenance job, and the unit's history API.
import fp from 'fastify-plugin';
import cron from 'node-cron';
import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { UNIT_ID_PATTERN } from '@loa/shared';
import { HttpError } from '../http-error.js';
import type {} from '../services.plugin.js';
import { telemetryService } from './telemetry.service.js';

const routes: FastifyPluginAsyncTypebox<{ service: ReturnType<typeof telemetryService> }> = async (
  app,
  { service },
) => {
  app.get(
    '/api/units/:id/telemetry',
    {
      config: { permission: 'units:read' },
      schema: {
        params: Type.Object({ id: Type.String({ pattern: UNIT_ID_PATTERN }) }),
        querystring: Type.Object({
          from: Type.Optional(Type.Integer({ minimum: 0, description: 'ms since the epoch; default 24 h ago' })),
          to: Type.Optional(Type.Integer({ minimum: 0 })),
          resolution: Type.Optional(Type.Union([Type.Literal('raw'), Type.Literal('5m'), Type.Literal('auto')])),
        }),
      },
    },
    async (req) => {
      app.services.units.get(req.params.id);
      const to = req.query.to ?? Date.now();
      const from = req.query.from ?? to - 24 * 3600_000;
      if (from >= to) throw new HttpError(400, 'invalid-range', '"from" must come before "to".', 'from');
      return { unitId: req.params.id, from, to, ...service.history(req.params.id, from, to, req.query.resolution) };
    },
  );
};

export default fp(
  async (app) => {
    const service = telemetryService(app.db, app.hub, app.log.child({ name: 'telemetry' }));
    const job = cron.schedule(
      '*/5 * * * *',
      () =>
        service
          .maintain()
          .catch((err: Error) => app.log.error({ err }, 'telemetry: maintenance failed; the next run tries again')),
      {
        name: 'telemetry-maintenance',
        noOverlap: true,
      },
    );
    app.addHook('onClose', async () => {
      await job.destroy();
      service.stop();
    });
    await app.register(routes, { service });
  },
  { name: 'telemetry', dependencies: ['services'] },
);
