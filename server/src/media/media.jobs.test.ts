// Ingest jobs (contract of issue #6): POST /api/media?async=1 answers 202 {jobId}; progress is read
// from GET /api/media/jobs/:id and announced on the hub; one job per core, the rest queued; a
// restart finishes what was queued or cut short.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, openAsBlob, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import type { HubEvents } from '../hub.js';
import { startServer, type TestServer } from '../testing/start-server.js';
import type { ApiClient } from '../testing/api-client.js';
import type { MediaView } from './media.repo.js';
import { lavfi, speechWav } from './testing/fixtures.js';

interface Job {
  id: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  percent: number;
  media?: MediaView;
  error?: string;
  errorCode?: string;
}

async function submit(client: ApiClient, file: string): Promise<string> {
  const form = new FormData();
  form.append('file', await openAsBlob(file), 'bulletin.mp3');
  const res = await client.request<{ jobId: string }>('POST', '/api/media?async=1', form);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.jobId;
}

async function until(client: ApiClient, id: string, states: Job['state'][], timeoutMs = 60_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await client.get<Job>(`/api/media/jobs/${id}`);
    if (states.includes(res.body.state)) return res.body;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${res.body.state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A minute-long speech-like MP3: long enough to watch a job run. */
function longBulletin(dir: string, seconds: number, name: string): string {
  const speech = speechWav(dir, `${name}.wav`);
  const out = join(dir, name);
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-stream_loop',
    '-1',
    '-i',
    speech,
    '-t',
    String(seconds),
    '-b:a',
    '64k',
    out,
  ]);
  return out;
}

describe('ingest jobs', () => {
  let server: TestServer;
  const work = mkdtempSync(join(tmpdir(), 'loa-jobs-'));
  const events: Array<HubEvents['ingest-progress']> = [];

  beforeAll(async () => {
    server = await startServer({ INGEST_CONCURRENCY: '1' });
    server.app.hub.on('ingest-progress', (e) => events.push(e));
  });
  afterAll(async () => server?.close());

  it('answers 202 at once and reports percent until the media is done, on the API and the hub', async () => {
    const id = await submit(server.admin, longBulletin(work, 40, 'a.mp3'));
    const seen = new Set<number>();
    let job: Job;
    do {
      job = (await server.admin.get<Job>(`/api/media/jobs/${id}`)).body;
      seen.add(job.percent);
      await new Promise((r) => setTimeout(r, 20));
    } while (job.state === 'queued' || job.state === 'running');
    expect(job.state).toBe('done');
    expect(job.percent).toBe(100);
    expect(job.media?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(
      [...seen].some((p) => p > 0 && p < 100),
      `percents seen: ${[...seen].join(' ')}`,
    ).toBe(true);
    const mine = events.filter((e) => e.jobId === id);
    const percents = mine.filter((e) => e.state === 'running').map((e) => e.percent);
    expect(percents.length).toBeGreaterThan(5);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(mine.at(-1)).toMatchObject({
      state: 'done',
      percent: 100,
      sha256: job.media!.sha256,
      userId: expect.any(Number),
    });
  });

  it('reports a file found bad while it runs as a failed job with a reason', async () => {
    const mp3 = lavfi(work, 'whole.mp3', 'sine=frequency=500:duration=20', ['-b:a', '128k']);
    execFileSync('truncate', ['-s', '120000', mp3]);
    const id = await submit(server.admin, mp3);
    const job = await until(server.admin, id, ['done', 'failed']);
    expect(job).toMatchObject({ state: 'failed', errorCode: 'truncated-audio' });
    expect(job.error).toMatch(/cut off/);
    expect(events.filter((e) => e.jobId === id).at(-1)).toMatchObject({
      state: 'failed',
      errorCode: 'truncated-audio',
    });
  });

  it('runs one job per core at most (here one) and queues the rest in order', async () => {
    const ids = [
      await submit(server.admin, longBulletin(work, 30, 'b.mp3')),
      await submit(server.admin, longBulletin(work, 30, 'c.mp3')),
    ];
    let maxRunning = 0;
    let sawQueuedBehindRunning = false;
    for (;;) {
      const res = await server.admin.get<{ jobs: Job[]; running: number; queued: number }>('/api/media/jobs?limit=10');
      const states = ids.map((id) => res.body.jobs.find((j) => j.id === id)!.state);
      maxRunning = Math.max(maxRunning, states.filter((s) => s === 'running').length, res.body.running);
      if (states[0] === 'running' && states[1] === 'queued') sawQueuedBehindRunning = true;
      if (states.every((s) => s === 'done' || s === 'failed')) break;
      await new Promise((r) => setTimeout(r, 30));
    }
    expect(maxRunning).toBe(1);
    expect(sawQueuedBehindRunning).toBe(true);
  }, 90_000);

  it('lets a viewer follow jobs but not upload', async () => {
    const viewer = await server.userClient('viewer');
    const small = lavfi(work, 'small.mp3', 'sine=frequency=400:duration=2');
    expect((await viewer.upload(small)).status).toBe(403);
    const id = await submit(server.admin, small);
    expect((await until(viewer, id, ['done'])).state).toBe('done');
    const editor = await server.userClient('editor');
    expect((await editor.upload(lavfi(work, 'small2.mp3', 'sine=frequency=410:duration=2'))).status).toBe(201);
  });
});

describe('a restart during ingest', () => {
  it('runs the cut-short job again and finishes it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'loa-restart-'));
    const work = mkdtempSync(join(tmpdir(), 'loa-restart-in-'));
    const env = {
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      MQTT_PORT: '0',
      MQTT_HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
    };
    const first = await buildApp(loadConfig(env));
    await first.listen({ port: 0, host: '127.0.0.1' });
    const port = (first.server.address() as { port: number }).port;
    const { ApiClient } = await import('../testing/api-client.js');
    const admin = new ApiClient(`http://127.0.0.1:${port}`);
    await admin.login(first.firstAdmin!.username, first.firstAdmin!.password);
    const id = await submit(admin, longBulletin(work, 45, 'r.mp3'));
    await until(admin, id, ['running']);
    await first.close();

    const second = await buildApp(loadConfig(env));
    try {
      // Cut short, not finished: the new process takes it up again from the start.
      expect(['queued', 'running']).toContain(second.services.media.job(id).state);
      const deadline = Date.now() + 60_000;
      while (!['done', 'failed'].includes(second.services.media.job(id).state) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const job = second.services.media.job(id);
      expect(job.state).toBe('done');
      expect(job.media?.durationMs).toBeGreaterThan(40_000);
    } finally {
      await second.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
