import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { inScope } from '../auth/permissions.js';
import { HttpError } from '../http-error.js';
import { AlertParams, AlertsQuery, AlertView } from './alerts.schemas.js';

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

  // Clearing by hand (issue #9): for an alert no good sign will clear (a fault fixed on site, a
  // relay bulletin withdrawn). Audited by the audit hook; the rule raises it again if its cause
  // shows again.
  app.post(
    '/api/alerts/:id/clear',
    {
      config: { permission: 'alerts:manage', audit: 'alert.clear' },
      schema: { params: AlertParams, response: { 200: AlertView } },
    },
    async (req) => {
      const row = alerts.get(req.params.id);
      // Another commune's alert does not exist for a scoped account.
      if (!row || (row.unit_id !== null && !inScope(req.user, row.commune_id)))
        throw new HttpError(404, 'alert-not-found', `There is no alert ${req.params.id}.`);
      if (row.unit_id === null && req.user?.communeIds !== null)
        throw new HttpError(403, 'forbidden', 'Only an account over every commune may clear an alert of the server.');
      const cleared = alerts.clearByHand(row.id, req.user?.username ?? 'unknown')!;
      req.audit = {
        subject: String(row.id),
        communeId: row.commune_id,
        detail: { kind: row.kind, unitId: row.unit_id, wasRaised: row.state === 'raised' },
      };
      return cleared;
    },
  );
};
export default routes;
