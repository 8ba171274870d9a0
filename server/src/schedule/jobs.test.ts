// The cron jobs and the one re-plan queue (issue #3): a burst of changes makes one re-plan, a cron
// re-plan waits for a change's and the other way round, the nightly job plans today and tomorrow.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, toZoned } from '@loa/shared';
import { startServer, type TestServer } from '../testing/start-server.js';
import { waitFor } from '../testing/wait.js';
import { scheduleJobs, startScheduleJobs } from './jobs.js';

const TZ = 'Asia/Ho_Chi_Minh';

describe('schedule jobs', () => {
  let server: TestServer;
  let jobs: ReturnType<typeof startScheduleJobs>;
  const plans = () => server.app.services.plans;
  const runsSince = (n: number) => plans().runs().slice(n);

  beforeAll(async () => {
    server = await startServer({ TZ });
    const { bulletins } = server.app.services;
    jobs = startScheduleJobs(scheduleJobs(plans(), bulletins, server.app.log), TZ, server.app.log);
    for (const id of ['cum-1', 'cum-2']) await server.admin.post('/api/units', { id, name: id });
    const work = mkdtempSync(join(tmpdir(), 'loa-jobs-'));
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=duration=2', join(work, 't.mp3')]);
    const sha = (await server.admin.upload<{ sha256: string }>(join(work, 't.mp3'))).body.sha256;
    const editor = await server.userClient('editor');
    const approver = await server.userClient('approver');
    const b = await editor.post<{ id: string }>('/api/bulletins', {
      title: 'Bản tin hằng ngày',
      level: 'ordinary',
      mediaSha256: sha,
      targets: { commune: true },
      recurrence: { days: [0, 1, 2, 3, 4, 5, 6] },
      validFrom: new Date().toISOString(),
      validUntil: new Date(Date.now() + 3 * 86400_000).toISOString(),
    });
    await editor.post(`/api/bulletins/${b.body.id}/submit`);
    expect((await approver.post(`/api/bulletins/${b.body.id}/approve`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    await plans().idle();
  });
  afterAll(async () => {
    await jobs?.stop();
    await server?.close();
  });

  it('makes one re-plan of a burst of changes', async () => {
    const before = plans().runs().length;
    for (let i = 0; i < 20; i++) plans().schedule();
    await waitFor('the re-plan', () => runsSince(before).find((r) => r.endedAt !== undefined), 5000, 20);
    // Longer than the debounce: a second run would have started by now.
    await new Promise((r) => setTimeout(r, 400));
    expect(runsSince(before).map((r) => r.why)).toEqual(['change']);
  });

  it('never interleaves a cron re-plan with a change re-plan, a direct one or a republish', async () => {
    const before = plans().runs().length;
    plans().schedule(0);
    await new Promise((r) => setTimeout(r, 5)); // the change's run has started
    const periodic = jobs.tasks.get('periodic-plan')!.execute();
    const direct = plans().replanAll();
    const republish = plans().republish();
    const nightly = jobs.tasks.get('nightly-plan')!.execute();
    await Promise.all([periodic, direct, republish, nightly]);
    const runs = runsSince(before);
    // node-cron calls a job a few ticks after execute(): the order of the queued four may vary.
    expect(runs[0]!.why).toBe('change');
    expect(runs.map((r) => r.why).sort()).toEqual(['change', 'nightly', 'periodic', 'republish', 'request']);
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.startedAt).toBeGreaterThanOrEqual(runs[i - 1]!.endedAt!);
    // The job's promise is the queued run's: it resolved only once that run had ended.
    expect(runs.every((r) => r.endedAt !== undefined)).toBe(true);
  });

  it('runs the nightly plan at 00:05 in the time zone, planning today and tomorrow', async () => {
    const nightly = jobs.tasks.get('nightly-plan')!;
    const next = toZoned(nightly.getNextRun()!.getTime(), TZ);
    expect(next.seconds).toBe(5 * 60);
    const today = toZoned(Date.now(), TZ).date;
    expect([today, addDays(today, 1)]).toContain(next.date);
    expect(jobs.tasks.get('expiry-sweep')!.getPattern()).toBe('* * * * *');

    await server.app.db.prepare('DELETE FROM plans').run(); // as if nothing had been planned yet
    const before = plans().runs().length;
    await nightly.execute();
    expect(runsSince(before).map((r) => r.why)).toEqual(['nightly']);
    for (const unit of ['cum-1', 'cum-2']) {
      const body = plans().body(unit)!;
      const dates = new Set(body.windows.map((w) => toZoned(w.startAt, TZ).date));
      expect([...dates]).toEqual([today, addDays(today, 1)]);
      const itemDates = new Set(body.items.map((i) => toZoned(i.startAt, TZ).date));
      expect(itemDates.has(addDays(today, 1))).toBe(true);
    }
  });
});
