// The server's recurring jobs (node-cron): the nightly plan of today and tomorrow, a sweep that
// expires bulletins past their validity, and a quarter-hourly re-plan that heals any missed night
// (it publishes nothing when nothing changed). Every re-plan goes through the plans service's one
// queue, as a change's does, so a cron run and a change's run never interleave.
import cron, { type ScheduledTask } from 'node-cron';
import type { FastifyBaseLogger } from 'fastify';
import type { BulletinsService } from './bulletins.service.js';
import type { PlansService } from './plans.service.js';

export interface ScheduleJob {
  name: string;
  /** When, in the server's time zone. */
  cron: string;
  run(): Promise<void>;
}

/** The jobs as plain functions (tests call them), with when they run. */
export function scheduleJobs(
  plans: Pick<PlansService, 'replanAll'>,
  bulletins: Pick<BulletinsService, 'expireLapsed'>,
  log: FastifyBaseLogger,
): ScheduleJob[] {
  const replan = (why: string) => async () => {
    // replanAll plans today and tomorrow, read at the moment the queued run starts.
    const result = await plans.replanAll(undefined, why);
    log.info({ why, ...result }, 'jobs: re-planned');
  };
  return [
    { name: 'nightly-plan', cron: '5 0 * * *', run: replan('nightly') },
    { name: 'periodic-plan', cron: '*/15 * * * *', run: replan('periodic') },
    {
      name: 'expiry-sweep',
      cron: '* * * * *',
      // Re-plans (debounced, queued) when a bulletin that was planned expired.
      run: async () => {
        const expired = bulletins.expireLapsed();
        if (expired.length) log.info({ expired }, 'jobs: bulletins expired');
      },
    },
  ];
}

export function startScheduleJobs(
  jobs: readonly ScheduleJob[],
  timeZone: string,
  log: FastifyBaseLogger,
): { tasks: Map<string, ScheduledTask>; stop(): Promise<void> } {
  const tasks = new Map<string, ScheduledTask>();
  for (const job of jobs) {
    const run = () => job.run().catch((err: Error) => log.error({ err: err.message, job: job.name }, 'jobs: failed'));
    tasks.set(job.name, cron.schedule(job.cron, run, { timezone: timeZone, name: job.name, noOverlap: true }));
  }
  return {
    tasks,
    async stop() {
      for (const t of tasks.values()) await t.destroy();
    },
  };
}
