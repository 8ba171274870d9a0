import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { addDays, fromZoned } from '@loa/shared';
import { HttpError } from '../http-error.js';
import { inScope } from '../auth/permissions.js';
import type {} from '../services.plugin.js';
import { reportsService, type GroupBy } from './reports.service.js';
import { toCsv, toHtml } from './reports.format.js';

const Query = Type.Object({
  communeId: Type.Optional(
    Type.String({ maxLength: 64, description: 'default: every commune (one page each in html)' }),
  ),
  month: Type.Optional(
    Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM in the commune’s time zone' }),
  ),
  day: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
  from: Type.Optional(Type.Integer({ minimum: 0 })),
  to: Type.Optional(Type.Integer({ minimum: 0 })),
  groupBy: Type.Optional(Type.Union(['day', 'month', 'unit', 'zone', 'bulletin'].map((g) => Type.Literal(g)))),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('html')])),
});

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const reports = reportsService(app.db);

  /** The [from, to) of a month or a day in the commune's own time zone, or the explicit range. */
  function range(q: { month?: string; day?: string; from?: number; to?: number }, timeZone: string): [number, number] {
    if (q.month) {
      const first = `${q.month}-01`;
      const next = addDays(addDays(first, 27), 5).slice(0, 7) + '-01';
      return [fromZoned(first, 0, timeZone), fromZoned(next, 0, timeZone)];
    }
    if (q.day) return [fromZoned(q.day, 0, timeZone), fromZoned(addDays(q.day, 1), 0, timeZone)];
    if (q.from === undefined || q.to === undefined) {
      throw new HttpError(400, 'range-required', 'Choose a month, a day, or both "from" and "to".', 'month');
    }
    return [q.from, q.to];
  }

  app.get(
    '/api/reports/as-run',
    { config: { permission: 'playlog:read' }, schema: { querystring: Query } },
    async (req, reply) => {
      const q = req.query;
      // Every commune the person may see (a scoped user never gets another commune's report).
      const communes = q.communeId
        ? [app.services.communes.get(q.communeId)]
        : app.services.communes.list().filter((c) => inScope(req.user, c.id));
      const groupBy = (q.groupBy ?? 'unit') as GroupBy;
      const results = communes.map((c) => {
        const [from, to] = range(q, c.timeZone);
        return reports.report(c.id, from, to, groupBy);
      });
      const name = `loa-nhat-ky-phat-${q.month ?? q.day ?? 'range'}-${groupBy}`;
      if (q.format === 'csv') {
        if (results.length !== 1)
          throw new HttpError(400, 'commune-required', 'A CSV holds one commune: choose communeId.', 'communeId');
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${name}.csv"`)
          .send(toCsv(results[0]!));
      }
      if (q.format === 'html')
        return reply.type('text/html; charset=utf-8').send(toHtml(results, 'Nhật ký phát — báo cáo'));
      return { reports: results };
    },
  );
};
export default routes;
