import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HttpError } from '../http-error.js';

const fields = {
  offlineMinutes: Type.Integer({ minimum: 1, maximum: 1440 }),
  offlineMinutesNearWindow: Type.Integer({ minimum: 1, maximum: 1440 }),
  temperatureC: Type.Integer({ minimum: 40, maximum: 120 }),
  /** Seconds a unit's clock may be off the server's (issue #9; 2 s by default). */
  clockOffsetS: Type.Number({ minimum: 0.5, maximum: 3600 }),
  /** Percent of its disk a unit may have free before the alert (issue #9; 10 % by default). */
  diskFreePercent: Type.Integer({ minimum: 1, maximum: 50 }),
  webhookUrl: Type.Union([Type.String({ pattern: '^https?://', maxLength: 500 }), Type.Null()]),
};
const Settings = Type.Object(fields, { additionalProperties: false });
// The two thresholds added later may be left out: a client that predates them keeps the values stored.
const SettingsBody = Type.Object(
  {
    ...fields,
    clockOffsetS: Type.Optional(fields.clockOffsetS),
    diskFreePercent: Type.Optional(fields.diskFreePercent),
  },
  { additionalProperties: false },
);
const Params = Type.Object({ id: Type.String({ pattern: '^[a-z0-9-]{1,64}$' }) });

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/communes/:id/alert-settings',
    { config: { permission: 'alerts:read' }, schema: { params: Params, response: { 200: Settings } } },
    async (req) => {
      app.services.communes.get(req.params.id);
      return app.services.alertRules.settings(req.params.id);
    },
  );
  app.put(
    '/api/communes/:id/alert-settings',
    {
      config: { permission: 'alerts:manage' },
      schema: { params: Params, body: SettingsBody, response: { 200: Settings } },
    },
    async (req) => {
      app.services.communes.get(req.params.id);
      if (req.body.offlineMinutesNearWindow > req.body.offlineMinutes) {
        throw new HttpError(
          400,
          'invalid-threshold',
          'Near a window the offline threshold must be as strict or stricter than away from it.',
          'offlineMinutesNearWindow',
        );
      }
      app.services.alertRules.setSettings(req.params.id, {
        ...app.services.alertRules.settings(req.params.id),
        ...req.body,
      });
      return app.services.alertRules.settings(req.params.id);
    },
  );
};
export default routes;
