import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HttpError } from '../http-error.js';
import { CommandParams, CommandRequest, CommandView, IssuedCommand, UnitParams } from './commands.schemas.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const commands = app.services.commands;

  app.post(
    '/api/units/:id/commands',
    {
      config: { permission: 'units:command', audit: 'unit.command' },
      schema: { params: UnitParams, body: CommandRequest, response: { 202: IssuedCommand } },
    },
    async (req, reply) => {
      const unit = app.services.units.get(req.params.id);
      if (unit.revokedAt)
        throw new HttpError(
          409,
          'unit-revoked',
          `Unit ${unit.id} is revoked: enroll it again before sending it commands.`,
        );
      const issued = await commands.issue(unit.id, req.body, req.user, unit.communeId);
      const args = req.body.args ?? {};
      // A forced sound (outside every window) is named on its own, to be found in the log.
      req.audit = {
        subject: unit.id,
        detail: { command: issued.id, type: issued.type, args, ...(args.force === true ? { forced: true } : {}) },
      };
      return reply.code(202).send(issued);
    },
  );

  app.get(
    '/api/units/:id/commands',
    {
      config: { permission: 'units:read' },
      schema: {
        params: UnitParams,
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }),
        response: { 200: Type.Object({ commands: Type.Array(CommandView) }) },
      },
    },
    async (req) => {
      app.services.units.get(req.params.id);
      return { commands: commands.list(req.params.id, req.query.limit) };
    },
  );

  app.get(
    '/api/units/:id/commands/:commandId',
    { config: { permission: 'units:read' }, schema: { params: CommandParams, response: { 200: CommandView } } },
    async (req) => commands.get(req.params.id, req.params.commandId),
  );
};
export default routes;
