// DESIGN §3: each missing chunk is published once per gather window for all the units that want
// it, and a fleet asking at once costs about one copy of the file. First the rules, against a
// bus that records what the server hands the broker; then real units on the real broker.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { parseTopic, topics } from '@loa/shared';
import type { Bus } from '../broker/bus.js';
import { startServer, type TestServer } from '../testing/start-server.js';
import { mediaDistributor } from './distribution.js';
import type { MediaView } from './media.repo.js';
import { SimUnit } from './testing/sim-unit.js';
import { convert, speechWav } from './testing/fixtures.js';

const SHA = 'ab'.repeat(32);
const CHUNK = 1000;
const SIZE = 4500; // 5 chunks
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** With a fake clock: lets real file reads run until `list` has `n` entries, or `budgetMs` pass. */
async function io(list: unknown[], n: number, budgetMs = 3000) {
  const end = performance.now() + budgetMs;
  while (list.length < n && performance.now() < end) await new Promise((res) => setImmediate(res));
}
/** Waits until `list` has `n` entries (or 3 s pass: a loaded machine is slow, not wrong). */
async function until(list: unknown[], n: number) {
  for (const end = Date.now() + 3000; list.length < n && Date.now() < end;) await sleep(10);
}

function recordingBus() {
  const published: number[] = [];
  let gate: Promise<void> | undefined;
  const bus: Bus = {
    connected: true,
    on: () => undefined,
    close: async () => undefined,
    async publish(topic) {
      const t = parseTopic(topic);
      if (t?.kind === 'media-chunk') published.push(t.index);
      await gate;
    },
  };
  return {
    bus,
    published,
    /** Holds every publish until `open()`: a broker busy fanning out. */
    hold() {
      let open!: () => void;
      gate = new Promise((r) => (open = r));
      return () => {
        gate = undefined;
        open();
      };
    },
  };
}

function distributor(
  bus: Bus,
  opts: {
    gatherMs?: number;
    maxGatherMs?: number;
    resendAfterMs?: number;
    holdWhile?: () => boolean;
    maxHoldMs?: number;
  } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'loa-dist-'));
  writeFileSync(join(dir, `${SHA}.ogg`), randomBytes(SIZE));
  return mediaDistributor({
    bus,
    mediaDir: dir,
    chunkBytes: CHUNK,
    gatherMs: opts.gatherMs ?? 40,
    maxGatherMs: opts.maxGatherMs ?? 400,
    resendAfterMs: opts.resendAfterMs ?? 600,
    ...(opts.holdWhile ? { holdWhile: opts.holdWhile } : {}),
    ...(opts.maxHoldMs !== undefined ? { maxHoldMs: opts.maxHoldMs } : {}),
    sizeOf: (sha) => (sha === SHA ? SIZE : undefined),
    unitExists: (u) => u.startsWith('unit-'),
    log: silent,
  });
}

const nothing = () => undefined;
const silent = { debug: nothing, info: nothing, warn: nothing, error: nothing } as unknown as FastifyBaseLogger;

const want = (unit: string, have: number[] = []) => Buffer.from(JSON.stringify({ unit, have }));

describe('the media distributor', () => {
  it('publishes each missing chunk once for a burst of wants from many units', async () => {
    const r = recordingBus();
    const d = distributor(r.bus);
    for (let i = 0; i < 50; i++) d.onWant(SHA, want(`unit-${i}`, i % 2 ? [0, 1] : []));
    await until(r.published, 5);
    await sleep(100);
    expect(r.published).toEqual([0, 1, 2, 3, 4]);
    expect(d.stats).toMatchObject({ wantsReceived: 50, roundsPublished: 1, bytesPublished: SIZE });
  });

  it('keeps gathering while wants keep coming, but not past the longest gather', async () => {
    // The clock is faked (the gather's timers and Date), the file reads are real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    let firstAt = -1;
    try {
      const r = recordingBus();
      const d = distributor(r.bus, { gatherMs: 60, maxGatherMs: 300 });
      for (let t = 0; t < 500; t += 20) {
        d.onWant(SHA, want(`unit-${t}`)); // a new unit every 20 ms, for half a second
        await vi.advanceTimersByTimeAsync(20);
        if (firstAt < 0) await io(r.published, 1, 300);
        if (firstAt < 0 && r.published.length > 0) firstAt = t + 20;
      }
    } finally {
      vi.useRealTimers();
    }
    expect(firstAt).toBe(300);
  });

  it('starts no round while plans are still going out: one round for every unit they bring', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    try {
      const r = recordingBus();
      let plansGoingOut = true;
      const d = distributor(r.bus, { gatherMs: 40, maxGatherMs: 200, holdWhile: () => plansGoingOut });
      // Units get their plan one after another over two seconds, each wanting the media at once.
      for (let t = 0; t < 2000; t += 100) {
        d.onWant(SHA, want(`unit-${t}`));
        await vi.advanceTimersByTimeAsync(100);
        await io(r.published, 1, 20);
      }
      expect(r.published).toEqual([]); // well past the longest gather: held
      plansGoingOut = false;
      d.onWant(SHA, want('unit-last'));
      await vi.advanceTimersByTimeAsync(100);
      await io(r.published, 5);
      await vi.advanceTimersByTimeAsync(1000);
      await io(r.published, 6, 100);
      expect(r.published).toEqual([0, 1, 2, 3, 4]);
      expect(d.stats).toMatchObject({ roundsPublished: 1, wantsReceived: 21 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('holds a round for plans going out no longer than its longest hold', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    try {
      const r = recordingBus();
      const d = distributor(r.bus, { gatherMs: 40, maxGatherMs: 200, holdWhile: () => true, maxHoldMs: 1000 });
      d.onWant(SHA, want('unit-a'));
      await vi.advanceTimersByTimeAsync(900);
      await io(r.published, 1, 50);
      expect(r.published).toEqual([]);
      await vi.advanceTimersByTimeAsync(200);
      await io(r.published, 5);
      expect(r.published).toEqual([0, 1, 2, 3, 4]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('sends a unit that asks mid-round only the chunks already gone by, once more', async () => {
    const r = recordingBus();
    const d = distributor(r.bus);
    const open = r.hold();
    d.onWant(SHA, want('unit-a'));
    await until(r.published, 1); // the round has handed chunk 0 to the broker and waits on it
    expect(r.published).toEqual([0]);
    d.onWant(SHA, want('unit-b'));
    open();
    await until(r.published, 6);
    await sleep(100);
    expect(r.published).toEqual([0, 1, 2, 3, 4, 0]);
  });

  it('does not resend chunks still on their way to a unit while its copy grows, only once it stalls', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    try {
      const r = recordingBus();
      const d = distributor(r.bus, { resendAfterMs: 600 });
      // Waits for `expected` publishes; when fewer are expected to come, for a short while only.
      const step = async (ms: number, expected: number, budgetMs = 3000) => {
        await vi.advanceTimersByTimeAsync(ms);
        await io(r.published, expected, budgetMs);
      };
      d.onWant(SHA, want('unit-a'));
      await step(50, 5);
      expect(r.published).toHaveLength(5);
      // Its periodic wants, sent while the chunks were landing: nothing is sent again.
      d.onWant(SHA, want('unit-a', [0]));
      d.onWant(SHA, want('unit-a', [0, 1, 2]));
      await step(100, 6, 300);
      expect(r.published).toHaveLength(5);
      // Soon after, still at three chunks: maybe still coming, not yet.
      d.onWant(SHA, want('unit-a', [0, 1, 2]));
      await step(100, 6, 300);
      expect(r.published).toHaveLength(5);
      // Long after, still at three: lost on the way (a reconnect), so sent again.
      await vi.advanceTimersByTimeAsync(500);
      d.onWant(SHA, want('unit-a', [0, 1, 2]));
      await step(50, 7);
      expect(r.published).toEqual([0, 1, 2, 3, 4, 3, 4]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('sends everything again at once to a unit that threw its copy away', async () => {
    const r = recordingBus();
    const d = distributor(r.bus, { resendAfterMs: 60_000 });
    d.onWant(SHA, want('unit-a'));
    await until(r.published, 5);
    d.onWant(SHA, want('unit-a', [0, 1, 2, 3]));
    d.onWant(SHA, want('unit-a', [])); // the file did not hash: discarded
    await until(r.published, 10);
    expect(r.published).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
  });

  it('drops a want naming another unit than the one the broker authenticated', async () => {
    const r = recordingBus();
    const d = distributor(r.bus);
    d.onWant(SHA, want('unit-b'), 'unit-a');
    d.onWant(SHA, want('unit-b'), '');
    await sleep(150);
    expect(r.published).toEqual([]);
    expect(d.stats).toMatchObject({ wantsRefused: 2, wantsReceived: 0 });
    d.onWant(SHA, want('unit-a'), 'unit-a');
    await until(r.published, 5);
    expect(r.published).toEqual([0, 1, 2, 3, 4]);
    expect(d.stats).toMatchObject({ wantsRefused: 2, wantsReceived: 1 });
  });

  it('ignores wants from unknown units, for unknown media, and malformed ones', async () => {
    const r = recordingBus();
    const d = distributor(r.bus);
    d.onWant(SHA, want('intruder'));
    d.onWant('cd'.repeat(32), want('unit-a'));
    d.onWant(SHA, Buffer.from('{"unit":'));
    d.onWant(SHA, Buffer.from(JSON.stringify({ unit: 'unit-a', have: [-1] })));
    await sleep(150);
    expect(r.published).toEqual([]);
  });
});

describe('media to many units on the real broker', () => {
  let server: TestServer;
  let media: MediaView;
  const units: SimUnit[] = [];

  beforeAll(async () => {
    server = await startServer({ MEDIA_CHUNK_BYTES: String(16 * 1024) });
    const work = mkdtempSync(join(tmpdir(), 'loa-fan-'));
    const speech = convert(speechWav(work), join(work, 'b.mp3'));
    media = (await server.admin.upload<MediaView>(speech)).body;
  });
  afterAll(async () => {
    await Promise.all(units.map((u) => u.close()));
    await server?.close();
  });

  it('ties each want to the unit that sent it: one naming another unit is dropped', async () => {
    const clients: MqttClient[] = [];
    try {
      for (const id of ['cum-that', 'cum-gia']) {
        const created = await server.admin.post<{ secret: string }>('/api/units', { id, name: id });
        clients.push(
          await mqtt.connectAsync(server.mqttUrl, {
            clientId: `loa-unit-${id}`,
            username: id,
            password: created.body.secret,
            reconnectPeriod: 0,
          }),
        );
      }
      const [real, spoofer] = clients as [MqttClient, MqttClient];
      const received: number[] = [];
      real.on('message', (topic) => {
        const t = parseTopic(topic);
        if (t?.kind === 'media-chunk') received.push(t.index);
      });
      await real.subscribeAsync(topics.mediaChunks(media.sha256), { qos: 1 });
      const stats = server.app.services.distribution.stats;
      const before = { ...stats };
      const body = (unit: string) => JSON.stringify({ unit, have: [] });
      // cum-gia speaks for cum-that, then for itself; the broker keeps one client's messages in order.
      await spoofer.publishAsync(topics.mediaWant(media.sha256), body('cum-that'), { qos: 1 });
      await spoofer.publishAsync(topics.mediaWant(media.sha256), body('cum-gia'), { qos: 1 });
      const deadline = Date.now() + 5000;
      while (stats.wantsReceived === before.wantsReceived && Date.now() < deadline) await sleep(20);
      expect(stats.wantsRefused - before.wantsRefused).toBe(1);
      expect(stats.wantsReceived - before.wantsReceived).toBe(1);
      // The genuine want is served, on the shared topics (so the real unit hears the chunks too).
      const count = Math.ceil(media.bytes / (16 * 1024));
      await until(received, count);
      expect(new Set(received).size).toBe(count);
    } finally {
      for (const c of clients) await c.endAsync(true);
    }
  });

  it('gets a verified copy to 40 units for about one copy of the file published', async () => {
    const verified = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const id = `thon-${String(i).padStart(3, '0')}`;
      const created = await server.admin.post<{ secret: string }>('/api/units', { id, name: `Thôn ${i}` });
      units.push(
        new SimUnit({
          url: server.mqttUrl,
          unit: id,
          secret: created.body.secret,
          sha256: media.sha256,
          onVerified: (u) => verified.add(u),
        }),
      );
    }
    await Promise.all(units.map((u) => u.connect()));
    const before = { ...server.app.services.distribution.stats };
    for (const u of units) u.start();
    const deadline = Date.now() + 20_000;
    while (verified.size < units.length && Date.now() < deadline) await sleep(50);
    expect(verified.size).toBe(units.length);
    const stats = server.app.services.distribution.stats;
    // A chunk is counted when the broker acknowledges it to the server, which can be after the
    // units got it (CI once read 16,384 bytes here: the last chunk verified, its count not yet in).
    const counted = Date.now() + 5000;
    while (stats.bytesPublished - before.bytesPublished < media.bytes && Date.now() < counted) await sleep(20);
    const published = stats.bytesPublished - before.bytesPublished;
    expect(published).toBeGreaterThanOrEqual(media.bytes);
    expect(published, `${published} bytes for a ${media.bytes}-byte file`).toBeLessThanOrEqual(media.bytes * 1.5);
    expect(units.every((u) => u.mismatches === 0)).toBe(true);
  });
});
