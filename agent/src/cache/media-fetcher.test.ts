import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { topics, type MediaRef } from '@loa/shared';
import { systemClock } from '../clock/clock.js';
import { memoryLogger } from '../log.js';
import { MqttLink } from '../mqtt/link.js';
import type { EventSink, NewEvent } from '../events/event-queue.js';
import { startBroker, type TestBroker } from '../testing/broker.js';
import { FakeServer, waitFor, type FakeServerOptions } from '../testing/fake-server.js';
import { MediaFetcher, type MediaFetcherOptions } from './media-fetcher.js';
import { MediaStore } from './media-store.js';

const UNIT = 'thon-nam-3';
const SECRET = 'pw';

let broker: TestBroker;
let running: { stop(): Promise<void> }[] = [];

function mediaOf(bytes: Buffer): MediaRef {
  return { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length, durationMs: 1000 };
}

async function setup(
  dataDir: string,
  serverOpts: FakeServerOptions,
  media: Buffer[],
  fetcherOpts: Partial<MediaFetcherOptions> = {},
) {
  const server = new FakeServer(await broker.serverClient(), { chunkBytes: 1000, ...serverOpts });
  await server.start();
  for (const m of media) server.media.set(mediaOf(m).sha256, m);
  const log = memoryLogger();
  const events: NewEvent[] = [];
  const sink: EventSink = { add: async (e) => (events.push(e), { ...e, seq: events.length, at: Date.now() }) };
  const link = new MqttLink({
    url: broker.url,
    unit: UNIT,
    secret: SECRET,
    will: { topic: topics.status(UNIT), payload: '{"online":false}' },
    log: log.child('mqtt'),
  });
  const store = new MediaStore(dataDir);
  await store.start();
  const fetcher = new MediaFetcher({
    unit: UNIT,
    store,
    link,
    events: sink,
    clock: systemClock,
    log: log.child('cache'),
    wantIntervalMs: 200,
    ...fetcherOpts,
  });
  const ready: string[] = [];
  fetcher.onReady((sha) => ready.push(sha));
  fetcher.start();
  link.start();
  await waitFor('connected', () => link.connected);
  const handle = {
    server,
    log,
    events,
    store,
    fetcher,
    ready,
    stop: async () => {
      fetcher.stop();
      await link.stop();
      await server.client.endAsync(true);
    },
  };
  running.push(handle);
  return handle;
}

beforeAll(async () => {
  broker = await startBroker({ [UNIT]: SECRET });
});
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
});
afterAll(() => broker.close());

const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7919 + n) % 251));

describe('MediaFetcher', () => {
  it('fetches a file in chunks into cache/{sha256} and stops wanting it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'loa-fetch-'));
    const bytes = randomBytes(5500);
    const ref = mediaOf(bytes);
    const a = await setup(dataDir, {}, [bytes]);
    await a.fetcher.setNeeded([ref]);
    await waitFor('ready', () => a.ready.includes(ref.sha256));
    expect(await readFile(join(dataDir, 'cache', ref.sha256))).toEqual(bytes);
    expect(a.server.wants[0]).toEqual({ sha: ref.sha256, unit: UNIT, have: [] });
    expect(await readdir(join(dataDir, 'partial'))).toEqual([]);
    expect(a.fetcher.missing).toEqual([]);
    const wants = a.server.wants.length;
    await new Promise((r) => setTimeout(r, 400));
    expect(a.server.wants.length).toBe(wants);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('discards a chunk set that does not hash to the file, and wants it all again', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'loa-fetch-'));
    const bytes = randomBytes(3200);
    const ref = mediaOf(bytes);
    const tamper = (_s: string, index: number, round: number, chunk: Buffer) =>
      round === 1 && index === 2 ? Buffer.alloc(chunk.length, 0) : chunk;
    const a = await setup(dataDir, { tamper }, [bytes]);
    await a.fetcher.setNeeded([ref]);
    await waitFor('ready', () => a.ready.includes(ref.sha256));
    expect(
      a.log.lines.some((l) =>
        l.startsWith(`agent:cache discarded media ${ref.sha256.slice(0, 12)}: the chunks hash to`),
      ),
    ).toBe(true);
    expect(a.server.wants.filter((w) => w.have.length === 0).length).toBeGreaterThanOrEqual(2);
    expect(await readFile(join(dataDir, 'cache', ref.sha256))).toEqual(bytes);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps the chunks it has across a restart and wants only the rest', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'loa-fetch-'));
    const bytes = randomBytes(4500);
    const ref = mediaOf(bytes);
    const a = await setup(dataDir, { withhold: (_s, index) => index >= 2 }, [bytes]);
    await a.fetcher.setNeeded([ref]);
    await waitFor(
      'two chunks on disk',
      async () =>
        (await readdir(join(dataDir, 'partial', ref.sha256)).catch(() => [])).filter((n) => /^\d+$/.test(n)).length ===
        2,
    );
    await a.stop();
    running = running.filter((r) => r !== a);

    const b = await setup(dataDir, {}, [bytes]);
    await b.fetcher.setNeeded([ref]);
    await waitFor('ready', () => b.ready.includes(ref.sha256));
    expect(b.server.wants[0]!.have).toEqual([0, 1]);
    expect(await readFile(join(dataDir, 'cache', ref.sha256))).toEqual(bytes);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reports a fault, and fetches nothing, when the media does not fit on the disk', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'loa-fetch-'));
    const huge: MediaRef = { sha256: '12'.repeat(32), bytes: Number.MAX_SAFE_INTEGER, durationMs: 1000 };
    const a = await setup(dataDir, {}, []);
    await a.fetcher.setNeeded([huge]);
    expect(a.events).toEqual([
      expect.objectContaining({
        type: 'fault',
        sha256: huge.sha256,
        reason: expect.stringMatching(/^not enough disk for media 121212121212: needs \d+ bytes, \d+ free$/),
      }),
    ]);
    expect(a.server.wants).toEqual([]);
    await a.fetcher.setNeeded([huge]);
    expect(a.events).toHaveLength(1);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('evicts media no plan needs to stay under the quota, and keeps the plan’s own even over it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'loa-fetch-'));
    const [old, kept, fresh] = [randomBytes(3000), randomBytes(3001), randomBytes(3002)];
    const a = await setup(dataDir, {}, [old, kept, fresh], {
      quotaBytes: 7000,
      keep: () => new Set([mediaOf(kept).sha256]),
    });
    await a.fetcher.setNeeded([mediaOf(old), mediaOf(kept)]);
    await waitFor('two cached', () => a.ready.length === 2);
    a.store.touch(mediaOf(old).sha256, Date.now() - 86_400_000);
    // The next plan needs `fresh` (and still `kept`): `old` must go to stay under 7000 bytes.
    await a.fetcher.setNeeded([mediaOf(kept), mediaOf(fresh)]);
    await waitFor('fresh cached', () => a.ready.includes(mediaOf(fresh).sha256));
    expect(a.store.has(mediaOf(old).sha256)).toBe(false);
    expect(a.store.has(mediaOf(kept).sha256)).toBe(true);
    expect(a.log.lines).toContain('agent:cache evicted 1 media no plan needs (least recently used first)');
    expect(a.events).toEqual([]);
    // A plan whose own media exceed the quota plays anyway, with one fault to say so.
    const huge = randomBytes(5000);
    a.server.media.set(mediaOf(huge).sha256, huge);
    await a.fetcher.setNeeded([mediaOf(kept), mediaOf(fresh), mediaOf(huge)]);
    await waitFor('huge cached', () => a.ready.includes(mediaOf(huge).sha256));
    expect(a.events).toEqual([
      expect.objectContaining({
        type: 'fault',
        reason: "the plan's media need 0 MB, over the cache quota of 0 MB; keeping them anyway",
      }),
    ]);
    await rm(dataDir, { recursive: true, force: true });
  });
});
