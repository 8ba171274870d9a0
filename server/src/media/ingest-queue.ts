// Ingest jobs (issue #6): at most `concurrency` run at once (one per core by default: each is one
// single-threaded ffmpeg), the rest wait in order. Each job is a row in media_jobs, so a restart
// picks up what was queued or cut short, and its percent is announced on the hub for the dashboard.
import type { FastifyBaseLogger } from 'fastify';
import { HttpError } from '../http-error.js';
import type { Hub } from '../hub.js';
import type { JobRow, JobsRepo } from './jobs.repo.js';
import { AbortedError } from './run.js';

export interface JobContext {
  signal: AbortSignal;
  /** 0–100 */
  progress(percent: number): void;
}

/** Does the work of one job; returns the SHA-256 of the media it stored. */
export type JobWork = (job: JobRow, ctx: JobContext) => Promise<string>;

type Waiter = { resolve: (job: JobRow) => void; reject: (err: Error) => void };

export class IngestQueue {
  private readonly waiting: string[] = [];
  private readonly running = new Map<string, { abort: AbortController; percent: number }>();
  private readonly waiters = new Map<string, Waiter[]>();
  private closed = false;

  constructor(
    private readonly opts: {
      concurrency: number;
      repo: JobsRepo;
      work: JobWork;
      hub: Hub;
      log: FastifyBaseLogger;
      /** Runs after a job failed or ended, whatever happened (removes its upload). */
      cleanup(job: JobRow): Promise<void>;
    },
  ) {}

  get stats() {
    return { running: this.running.size, queued: this.waiting.length };
  }

  /** Jobs left queued or running by the last process: run them again from the start. */
  recover(): number {
    let n = 0;
    for (const job of this.opts.repo.unfinished()) {
      if (job.state === 'running') this.opts.repo.requeue(job.id);
      this.waiting.push(job.id);
      n++;
    }
    this.pump();
    return n;
  }

  /** The job row must already be inserted (state queued). */
  enqueue(job: JobRow): void {
    this.waiting.push(job.id);
    this.announce(job);
    this.pump();
  }

  /** Percent of a running job, which the row holds only coarsely. */
  livePercent(id: string): number | undefined {
    return this.running.get(id)?.percent;
  }

  /** Resolves with the finished row; rejects with the job's error when it failed. */
  wait(id: string): Promise<JobRow> {
    const row = this.opts.repo.get(id);
    if (row?.state === 'done') return Promise.resolve(row);
    if (row?.state === 'failed') return Promise.reject(toError(row));
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(id) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(id, list);
    });
  }

  /** Stops the running jobs (they stay queued for the next start) and takes no more. */
  async close(): Promise<void> {
    this.closed = true;
    for (const { abort } of this.running.values()) abort.abort();
    const deadline = Date.now() + 10_000;
    while (this.running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const [id, list] of this.waiters) {
      for (const w of list)
        w.reject(new HttpError(503, 'server-stopping', 'The server is restarting: upload the file again in a minute.'));
      this.waiters.delete(id);
    }
  }

  private announce(job: Pick<JobRow, 'id' | 'state' | 'created_by'> & Partial<JobRow>, percent = job.percent ?? 0) {
    this.opts.hub.emit('ingest-progress', {
      jobId: job.id,
      state: job.state,
      percent: Math.floor(percent),
      at: Date.now(),
      userId: job.created_by,
      ...(job.media_sha256 ? { sha256: job.media_sha256 } : {}),
      ...(job.error_code ? { errorCode: job.error_code, error: job.error_message } : {}),
    });
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.opts.concurrency && this.waiting.length > 0) {
      const id = this.waiting.shift()!;
      void this.runJob(id);
    }
  }

  private async runJob(id: string): Promise<void> {
    const { repo, log } = this.opts;
    const job = repo.get(id);
    if (!job || job.state === 'done' || job.state === 'failed') return this.pump();
    const abort = new AbortController();
    const entry = { abort, percent: 0 };
    this.running.set(id, entry);
    repo.start(id, Date.now());
    this.announce({ ...job, state: 'running' }, 0);
    let lastSaved = 0;
    const ctx: JobContext = {
      signal: abort.signal,
      progress: (p) => {
        const percent = Math.max(entry.percent, Math.min(99, Math.floor(p)));
        if (percent === entry.percent) return;
        entry.percent = percent;
        this.announce({ ...job, state: 'running' }, percent);
        if (percent - lastSaved >= 10) {
          lastSaved = percent;
          repo.percent(id, percent);
        }
      },
    };
    let outcome: 'done' | 'failed' | 'stopped' = 'failed';
    try {
      const sha = await this.opts.work(job, ctx);
      repo.done(id, sha, Date.now());
      outcome = 'done';
    } catch (err) {
      if (err instanceof AbortedError || abort.signal.aborted) {
        outcome = 'stopped';
        repo.requeue(id);
      } else {
        const e =
          err instanceof HttpError
            ? err
            : new HttpError(
                500,
                'ingest-failed',
                'The server could not process this audio. Try again; if it fails again, tell the technician.',
              );
        if (!(err instanceof HttpError)) log.error({ err, jobId: id }, 'media: ingest job failed');
        repo.failed(id, e.statusCode, e.code, e.message, Date.now());
      }
    } finally {
      this.running.delete(id);
    }
    const row = repo.get(id)!;
    if (outcome !== 'stopped') {
      // Announced as soon as the row says it, so the dashboard never hears of it after the API.
      this.announce(row);
      if (outcome === 'failed')
        await this.opts.cleanup(row).catch((err: Error) => log.warn({ err }, 'media: cleanup failed'));
      for (const w of this.waiters.get(id) ?? []) {
        if (row.state === 'done') w.resolve(row);
        else w.reject(toError(row));
      }
      this.waiters.delete(id);
    }
    this.pump();
  }
}

export function toError(row: JobRow): HttpError {
  return new HttpError(
    row.error_status ?? 500,
    row.error_code ?? 'ingest-failed',
    row.error_message ?? 'The server could not process this audio.',
  );
}
