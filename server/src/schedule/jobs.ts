// The server's recurring jobs (node-cron): the nightly plan of today and tomorrow, a sweep that
// marks bulletins past their validity as expired, and a quarter-hourly re-plan that heals any
// missed night (it publishes nothing when nothing changed).
import cron, { type ScheduledTask } from 'node-cron';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/database.js';
import type { PlansService } from './plans.service.js';

export function startScheduleJobs(
  db: Db,
  plans: PlansService,
  timeZone: string,
  log: FastifyBaseLogger,
): () => Promise<void> {
  const expire = db.prepare(
    "UPDATE bulletins SET state = 'expired', updated_at = ? WHERE state IN ('approved', 'on_air', 'submitted', 'draft') AND valid_until <= ?",
  );
  const replan = (why: string) => async () => {
    const result = await plans.replanAll();
    log.info({ why, ...result }, 'jobs: re-planned');
  };
  const tasks: ScheduledTask[] = [
    cron.schedule('5 0 * * *', replan('nightly'), { timezone: timeZone, name: 'nightly-plan', noOverlap: true }),
    cron.schedule('*/15 * * * *', replan('periodic'), { timezone: timeZone, name: 'periodic-plan', noOverlap: true }),
    cron.schedule(
      '* * * * *',
      () => {
        const now = Date.now();
        const changed = expire.run(now, now).changes;
        if (changed > 0) {
          log.info({ expired: changed }, 'jobs: bulletins expired');
          plans.schedule();
        }
      },
      { timezone: timeZone, name: 'expiry-sweep', noOverlap: true },
    ),
  ];
  return async () => {
    for (const t of tasks) await t.destroy();
  };
}
