// Prometheus /metrics (issue #9) on the real server: first what an idle server shows, then the
// same gauges moving with real activity — a unit connecting over MQTT, uploads waiting their turn
// in the ingest queue (one job at a time here), and media chunks published to a unit that wants them.
import { mkdtempSync, openAsBlob } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTopic, topics } from '@loa/shared';
import { lavfi } from '../media/testing/fixtures.js';
import { startServer, type TestServer } from '../testing/start-server.js';
import { waitFor } from '../testing/wait.js';

describe('GET /metrics', () => {
  let server: TestServer;
  let unit: MqttClient | undefined;
  beforeAll(async () => {
    server = await startServer({ INGEST_CONCURRENCY: '1' });
  });
  afterAll(async () => {
    await unit?.endAsync(true);
    await server?.close();
  });

  const scrape = async () => (await fetch(`${server.base}/metrics`)).text();
  /** The value of one series, e.g. `loa_ingest_jobs{state="queued"}`. */
  const value = (text: string, series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it('exposes units, plan publishes, media bytes, MQTT clients and event-loop lag', async () => {
    await server.admin.post('/api/units', { id: 'cum-metric', name: 'Cụm' });
    await server.app.services.plans.idle();
    await server.app.services.plans.replanAll();
    const text = await scrape();
    expect(text).toMatch(/^loa_units 1$/m);
    expect(text).toMatch(/^loa_units_online 0$/m);
    expect(Number(/^loa_plan_publishes_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^loa_media_bytes_published 0$/m);
    // No unit yet, and the server's own bus needs no connection (broker/in-process-bus.ts).
    expect(text).toMatch(/^loa_mqtt_clients 0$/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds /m);
    expect(text).toMatch(/^loa_ingest_jobs\{state="queued"\} 0$/m);
  });

  it("reports the embedded broker's own thread: its loop's lag and its heap (every 5 s)", async () => {
    const text = await waitFor("the thread's first report", async () => {
      const t = await scrape();
      return (value(t, 'loa_broker_heap_used_bytes') ?? 0) > 0 ? t : undefined;
    });
    // aedes and its clients live in that heap: megabytes, and less than the whole process.
    const heap = value(text, 'loa_broker_heap_used_bytes')!;
    expect(heap).toBeGreaterThan(1 << 20);
    expect(heap).toBeLessThan(value(text, 'process_resident_memory_bytes')!);
    expect(value(text, 'loa_broker_eventloop_lag_p99_seconds')).toBeGreaterThan(0);
    expect(value(text, 'loa_broker_eventloop_lag_max_seconds')).toBeGreaterThan(0);
  });

  it("counts the event loop's delay in buckets that add up across scrapes: a stall is one sample", async () => {
    const bucket = (text: string, le: string) => value(text, `loa_eventloop_delay_seconds_bucket{le="${le}"}`)!;
    const count = (text: string) => value(text, 'loa_eventloop_delay_seconds_count')!;
    const before = await scrape();
    await new Promise((r) => setTimeout(r, 200));
    // Held for 150 ms: a sample over 0.1 s (one; a loaded machine may add a stall of its own).
    const until = performance.now() + 150;
    while (performance.now() < until);
    await new Promise((r) => setTimeout(r, 50));
    const after = await scrape();
    const over = (text: string, le: string) => count(text) - bucket(text, le);
    expect(over(after, '0.1') - over(before, '0.1')).toBeGreaterThanOrEqual(1);
    expect(over(after, '0.1') - over(before, '0.1')).toBeLessThan(5);
    // Counted since start, not per scrape: ~100 samples a second, all of them kept.
    expect(count(after) - count(before)).toBeGreaterThanOrEqual(15);
    expect(bucket(after, '+Inf')).toBe(count(after));
    // And the window gauge beside it read the same stall.
    expect(value(after, 'nodejs_eventloop_lag_max_seconds')).toBeGreaterThan(0.1);
  });

  it('follows a unit that connects, uploads queued behind a running one, and the media bytes sent', async () => {
    const created = await server.admin.post<{ secret: string }>('/api/units', { id: 'cum-do', name: 'Cụm Đỏ' });
    const will = {
      topic: topics.status('cum-do'),
      payload: Buffer.from('{"online":false}'),
      qos: 1 as const,
      retain: true,
    };
    unit = await mqtt.connectAsync(server.mqttUrl, {
      clientId: 'loa-unit-cum-do',
      username: 'cum-do',
      password: created.body.secret,
      reconnectPeriod: 0,
      will,
    });
    await unit.publishAsync(topics.status('cum-do'), JSON.stringify({ online: true, since: Date.now() }), {
      qos: 1,
      retain: true,
    });
    await waitFor('online', async () => (value(await scrape(), 'loa_units_online') === 1 ? true : undefined));
    expect(value(await scrape(), 'loa_mqtt_clients')).toBe(1);

    // One ingest slot: a half-minute upload runs, a short one sent after it waits its turn.
    const work = mkdtempSync(join(tmpdir(), 'loa-metrics-'));
    const [long, ...short] = [
      [440, 30],
      [550, 1],
    ].map(([hz, s]) => lavfi(work, `${hz}.mp3`, `sine=frequency=${hz}:duration=${s}`, ['-b:a', '64k']));
    const submit = async (file: string) => {
      const form = new FormData();
      form.append('file', await openAsBlob(file), 'ban-tin.mp3');
      const res = await server.admin.request<{ jobId: string }>('POST', '/api/media?async=1', form);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      return res.body.jobId;
    };
    const jobs = [await submit(long!), await submit(short[0]!)];
    const busy = await scrape();
    expect(value(busy, 'loa_ingest_jobs{state="running"}')).toBe(1);
    expect(value(busy, 'loa_ingest_jobs{state="queued"}')).toBe(1);
    const done = await Promise.all(
      jobs.map((id) =>
        waitFor(
          `job ${id}`,
          async () => {
            const job = (
              await server.admin.get<{ state: string; media?: { sha256: string; bytes: number } }>(
                `/api/media/jobs/${id}`,
              )
            ).body;
            if (job.state === 'failed') throw new Error(JSON.stringify(job));
            return job.state === 'done' ? job.media : undefined;
          },
          60_000,
        ),
      ),
    );
    const idle = await scrape();
    expect(value(idle, 'loa_ingest_jobs{state="running"}')).toBe(0);
    expect(value(idle, 'loa_ingest_jobs{state="queued"}')).toBe(0);

    // The unit wants the first media: one copy of it is published.
    const media = done[0]!;
    const chunks: number[] = [];
    unit.on('message', (topic) => {
      const t = parseTopic(topic);
      if (t?.kind === 'media-chunk') chunks.push(t.index);
    });
    await unit.subscribeAsync(topics.mediaChunks(media.sha256), { qos: 1 });
    await unit.publishAsync(topics.mediaWant(media.sha256), JSON.stringify({ unit: 'cum-do', have: [] }), {
      qos: 1,
    });
    const bytes = await waitFor('media bytes published', async () => {
      const n = value(await scrape(), 'loa_media_bytes_published');
      return n === media.bytes ? n : undefined;
    });
    expect(bytes).toBe(media.bytes);
    await waitFor('every chunk at the unit', () =>
      chunks.length === Math.ceil(media.bytes / (256 * 1024)) ? true : undefined,
    );

    // The unit drops off (its will): online again 0.
    await unit.endAsync(true);
    unit = undefined;
    await waitFor('offline', async () => (value(await scrape(), 'loa_units_online') === 0 ? true : undefined));
  }, 90_000);
});
