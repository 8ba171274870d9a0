// Collection of unreferenced media (issue #6). Media a bulletin names (in any state: the record of
// what aired keeps its audio), an emergency broadcast names (any, over or not: units may still be
// fetching an active one, and the record of a past one keeps its audio too) or a published plan
// names is in use; its last_used_at is brought up to date. Media in use by nothing, and unused for the retention period, is deleted with its
// original (unless another media came from the same original). Leftovers of interrupted work in
// tmp/ and uploads/ go after a day.
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import cron from 'node-cron';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/database.js';

const DAY_MS = 86_400_000;

export interface SweepResult {
  deleted: string[];
  kept: number;
  strayFiles: number;
  jobsPruned: number;
}

export function mediaRetention(db: Db, mediaDir: string, log: FastifyBaseLogger) {
  const inBulletins = db.prepare('SELECT DISTINCT media_sha256 FROM bulletins WHERE media_sha256 IS NOT NULL').pluck();
  const inEmergencies = db.prepare('SELECT DISTINCT sha256 FROM emergencies').pluck();
  const planBodies = db.prepare('SELECT body FROM plans').pluck();
  const all = db.prepare('SELECT sha256, original_sha256, created_at, last_used_at FROM media');
  const touch = db.prepare('UPDATE media SET last_used_at = ? WHERE sha256 = ?');
  const remove = db.prepare('DELETE FROM media WHERE sha256 = ?');
  const sameOriginal = db.prepare('SELECT 1 FROM media WHERE original_sha256 = ? LIMIT 1').pluck();
  const pruneJobs = db.prepare("DELETE FROM media_jobs WHERE state IN ('done', 'failed') AND finished_at < ?");

  async function strays(dir: string, olderThan: number, keep: Set<string>): Promise<number> {
    let n = 0;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (keep.has(name)) continue;
      const path = join(dir, name);
      const s = await stat(path).catch(() => undefined);
      if (s && s.mtimeMs < olderThan) {
        await rm(path, { force: true, recursive: true });
        n++;
      }
    }
    return n;
  }

  return {
    async sweep(now: number, retentionDays: number, uploadsInUse: Set<string>): Promise<SweepResult> {
      const cutoff = now - retentionDays * DAY_MS;
      const used = new Set([...(inBulletins.all() as string[]), ...(inEmergencies.all() as string[])]);
      const plans = (planBodies.all() as string[]).join('\n');
      const rows = all.all() as Array<{
        sha256: string;
        original_sha256: string;
        created_at: number;
        last_used_at: number | null;
      }>;
      const doomed: Array<{ sha256: string; original: string }> = [];
      db.transaction(() => {
        for (const r of rows) {
          if (used.has(r.sha256) || plans.includes(r.sha256)) {
            touch.run(now, r.sha256);
            continue;
          }
          if (Math.max(r.created_at, r.last_used_at ?? 0) >= cutoff) continue;
          try {
            remove.run(r.sha256);
            doomed.push({ sha256: r.sha256, original: r.original_sha256 });
          } catch {
            touch.run(now, r.sha256); // another table's foreign key still points at it: in use
          }
        }
      })();
      // Files after the rows: a crash in between leaves a file without a row, never a row without its file.
      for (const d of doomed) {
        await rm(join(mediaDir, `${d.sha256}.ogg`), { force: true });
        if (!sameOriginal.get(d.original)) await rm(join(mediaDir, 'originals', d.original), { force: true });
      }
      const stale = now - DAY_MS;
      const strayFiles =
        (await strays(join(mediaDir, 'tmp'), stale, new Set())) +
        (await strays(join(mediaDir, 'uploads'), stale, uploadsInUse));
      const jobsPruned = pruneJobs.run(cutoff).changes;
      if (doomed.length || strayFiles || jobsPruned)
        log.info({ deleted: doomed.length, strayFiles, jobsPruned }, 'media: retention sweep');
      return { deleted: doomed.map((d) => d.sha256), kept: rows.length - doomed.length, strayFiles, jobsPruned };
    },
  };
}

/** The nightly sweep (node-cron, 03:40 local, after the nightly plan) and one shortly after start. */
export function scheduleMediaSweep(
  sweep: () => Promise<unknown>,
  timeZone: string,
  log: FastifyBaseLogger,
): () => Promise<void> {
  const run = () =>
    void sweep().catch((err: Error) => log.error({ err: err.message }, 'media: retention sweep failed'));
  const task = cron.schedule('40 3 * * *', run, { timezone: timeZone, name: 'media-retention', noOverlap: true });
  const first = setTimeout(run, 60_000);
  first.unref();
  return async () => {
    clearTimeout(first);
    await task.destroy();
  };
}
