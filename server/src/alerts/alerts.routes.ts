import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { inScope } from '../auth/permissions.js';
import { AlertsQuery, AlertView } from './alerts.schemas.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const alerts = app.services.alerts;
  app.get(
    '/api/alerts',
    {
      config: { permission: 'alerts:read' },
      schema: { querystring: AlertsQuery, response: { 200: Type.Object({ alerts: Type.Array(AlertView) }) } },
    },
    async (req) => {
      const { state = 'raised', unitId, limit } = req.query;
      const all = alerts.list({ state, unitId, limit });
      // Alerts of units outside the user's communes do not exist for them; server-wide ones do.
      return {
        alerts: all.filter((a) => a.row.unit_id === null || inScope(req.user, a.row.commune_id)).map((a) => a.view),
      };
    },
  );
};
export default routes;
