import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type TestBroker } from './testing/broker.js';
import { makeKeys, type TestKeys } from './testing/keys.js';
import { makeSine, wavDurationMs, type TestMedia } from './testing/audio.js';
import { FakeServer, waitFor } from './testing/fake-server.js';
import { sinkRecords, startAgent, type TestAgent } from './testing/agent.js';
import { item, plan } from './testing/plans.js';

const UNIT = 'thon-dong-1';
const SECRET = 'unit-secret';

let dir: string;
let broker: TestBroker;
let keys: TestKeys;
let server: FakeServer;
let sine: TestMedia;
let short: TestMedia;
let agent: TestAgent;
let version = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loa-ctl-'));
  broker = await startBroker({ [UNIT]: SECRET, 'no-ffmpeg': SECRET });
  keys = await makeKeys(dir);
  server = new FakeServer(await broker.serverClient(), { chunkBytes: 4096 });
  await server.start();
  [sine, short] = await Promise.all([makeSine(dir, 2), makeSine(dir, 0.5, 880)]);
  for (const m of [sine, short]) server.media.set(m.ref.sha256, m.bytes);
  agent = await startAgent({ url: broker.url, unit: UNIT, secret: SECRET, pemPath: keys.pemPath });
  await waitFor('the agent online', () => server.statuses.some((s) => s.online));
});

afterAll(async () => {
  await agent?.stop();
  await broker?.close();
  await rm(dir, { recursive: true, force: true });
});

const eventOf = (type: string, itemId: string) => () =>
  server.events.find((e) => e.type === type && e.itemId === itemId);

describe('an agent with a verified plan', () => {
  it('plays the item at its instant into the file sink', async () => {
    const startAt = Date.now() + 2000;
    await server.publishPlan(UNIT, keys.sign(plan(UNIT, ++version, [item('i-1', sine.ref, startAt)])));
    const rec = await waitFor(
      'the sink record',
      async () => (await sinkRecords(agent)).find((r) => r.itemId === 'i-1'),
      8000,
    );
    expect(Math.abs(rec.startedAt - startAt)).toBeLessThan(200);
    const wav = await readFile(join(agent.sinkDir, rec.file));
    expect(Math.abs(wavDurationMs(wav) - sine.ref.durationMs)).toBeLessThan(100);
    expect(rec).toMatchObject({ sha256: sine.ref.sha256, samples: wav.length / 2 - 22 });
    const started = await waitFor('started', eventOf('started', 'i-1'));
    expect(started).toMatchObject({
      bulletinId: 'b-i-1',
      planVersion: version,
      scheduledAt: startAt,
      sha256: sine.ref.sha256,
    });
    expect(Math.abs(started.at - rec.startedAt)).toBeLessThan(5);
    const finished = await waitFor('finished', eventOf('finished', 'i-1'));
    expect(Math.abs(finished.durationMs! - sine.ref.durationMs)).toBeLessThan(100);
    expect(finished.seq).toBeGreaterThan(started.seq);
  }, 15_000);

  it('refuses an ordinary item outside every window at 03:15, and it never sounds', async () => {
    const startAt = Date.now() + 800;
    const windows = [{ startAt: startAt + 3600_000, endAt: startAt + 7200_000 }];
    await server.publishPlan(
      UNIT,
      keys.sign(plan(UNIT, ++version, [item('night-relay', short.ref, startAt)], { windows })),
    );
    const refused = await waitFor('refused', eventOf('refused', 'night-relay'));
    expect(refused.reason).toMatch(/outside every window/);
    await new Promise((r) => setTimeout(r, 800));
    expect(server.events.filter((e) => e.itemId === 'night-relay').map((e) => e.type)).toEqual(['refused']);
    expect((await sinkRecords(agent)).some((r) => r.itemId === 'night-relay')).toBe(false);
  }, 10_000);

  it('refuses an item that starts inside a window but ends after it', async () => {
    const startAt = Date.now() + 800;
    const windows = [{ startAt: startAt - 1000, endAt: startAt + 200 }];
    await server.publishPlan(
      UNIT,
      keys.sign(plan(UNIT, ++version, [item('overrun', short.ref, startAt)], { windows })),
    );
    await waitFor('refused', eventOf('refused', 'overrun'));
    expect((await sinkRecords(agent)).some((r) => r.itemId === 'overrun')).toBe(false);
  }, 10_000);

  it('plays an emergency outside the windows', async () => {
    const startAt = Date.now() + 1200;
    const windows = [{ startAt: startAt + 3600_000, endAt: startAt + 7200_000 }];
    const storm = item('storm', short.ref, startAt, { level: 'emergency' });
    await server.publishPlan(UNIT, keys.sign(plan(UNIT, ++version, [storm], { windows })));
    await waitFor('finished', eventOf('finished', 'storm'), 5000);
    expect((await sinkRecords(agent)).some((r) => r.itemId === 'storm')).toBe(true);
  }, 10_000);

  it('skips an item whose validUntil has passed, and one whose media is missing', async () => {
    const startAt = Date.now() + 800;
    const missing = { sha256: 'ab'.repeat(32), bytes: 1000, durationMs: 500 };
    const items = [
      item('stale', short.ref, startAt, { validUntil: startAt - 1 }),
      item('no-media', missing, startAt + 100),
    ];
    await server.publishPlan(UNIT, keys.sign(plan(UNIT, ++version, items)));
    expect((await waitFor('skipped stale', eventOf('skipped', 'stale'))).reason).toMatch(/valid until/);
    expect((await waitFor('skipped no-media', eventOf('skipped', 'no-media'))).reason).toMatch(/not in cache/);
    expect((await sinkRecords(agent)).some((r) => r.itemId === 'stale' || r.itemId === 'no-media')).toBe(false);
  }, 10_000);

  it('never plays an item id twice, across plan versions', async () => {
    const startAt = Date.now() + 1200;
    await server.publishPlan(UNIT, keys.sign(plan(UNIT, ++version, [item('once', short.ref, startAt)])));
    await waitFor('finished', eventOf('finished', 'once'), 5000);
    // The next version still lists it (the server keeps a day's items): it must not air again.
    await server.publishPlan(UNIT, keys.sign(plan(UNIT, ++version, [item('once', short.ref, startAt)])));
    await new Promise((r) => setTimeout(r, 500));
    expect(server.events.filter((e) => e.itemId === 'once' && e.type === 'started')).toHaveLength(1);
  }, 10_000);

  it('stops an item removed by a new plan version, as preempted', async () => {
    const startAt = Date.now() + 1200;
    await server.publishPlan(UNIT, keys.sign(plan(UNIT, ++version, [item('dropped', sine.ref, startAt)])));
    await waitFor('started', eventOf('started', 'dropped'), 5000);
    await server.publishPlan(UNIT, keys.sign(plan(UNIT, ++version, [])));
    const pre = await waitFor('preempted', eventOf('preempted', 'dropped'));
    expect(pre.reason).toMatch(/removed from plan/);
    expect(pre.durationMs).toBeLessThan(1500);
  }, 10_000);
});

describe('an agent without ffmpeg', () => {
  it('reports failed events with the fix, and keeps running', async () => {
    const bare = await startAgent({
      url: broker.url,
      unit: 'no-ffmpeg',
      secret: SECRET,
      pemPath: keys.pemPath,
      ffmpeg: null,
    });
    try {
      expect(bare.log.lines).toContain(
        'agent:player error: ffmpeg not found: install it with `apt-get install ffmpeg` or set FFMPEG_PATH',
      );
      const startAt = Date.now() + 600;
      await server.publishPlan('no-ffmpeg', keys.sign(plan('no-ffmpeg', 1, [item('mute-1', short.ref, startAt)])));
      const failed = await waitFor('failed', eventOf('failed', 'mute-1'));
      expect(failed.reason).toMatch(/apt-get install ffmpeg/);
    } finally {
      await bare.stop();
    }
  }, 10_000);
});
