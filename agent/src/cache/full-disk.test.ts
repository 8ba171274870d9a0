// Issue 6: the board's disk fills up in the middle of a download. One clear fault event, the
// download paused with what it has, the plan plays what is cached, everything else keeps working,
// and the download resumes by itself once there is room again.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '@loa/shared';
import { startBroker, type TestBroker } from '../testing/broker.js';
import { makeKeys, type TestKeys } from '../testing/keys.js';
import { makeSine, type TestMedia } from '../testing/audio.js';
import { FakeServer, waitFor } from '../testing/fake-server.js';
import { sinkRecords, startAgent, type TestAgent } from '../testing/agent.js';
import { FullDisk } from '../testing/full-disk.js';
import { item, plan } from '../testing/plans.js';

const UNIT = 'thon-day-5';
const SECRET = 'pw';
const CHUNK = 4096;

let dir: string;
let broker: TestBroker;
let keys: TestKeys;
let server: FakeServer;
let cached: TestMedia;
let big: TestMedia;
let agent: TestAgent;
let disk: FullDisk;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loa-full-'));
  broker = await startBroker({ [UNIT]: SECRET });
  keys = await makeKeys(dir);
  server = new FakeServer(await broker.serverClient(), { chunkBytes: CHUNK });
  await server.start();
  [cached, big] = await Promise.all([makeSine(dir, 1), makeSine(dir, 8, 660)]);
  server.media.set(big.ref.sha256, big.bytes);
  // The first item's media is on the card already.
  const dataDir = join(dir, 'data');
  await mkdir(join(dataDir, 'cache'), { recursive: true });
  await writeFile(join(dataDir, 'cache', cached.ref.sha256), cached.bytes);
  // Room for two chunks of the big media, then the card is full.
  disk = new FullDisk(2 * CHUNK + 16);
  agent = await startAgent({
    url: broker.url,
    unit: UNIT,
    secret: SECRET,
    pemPath: keys.pemPath,
    dataDir,
    tuning: { housekeepingMs: 300 },
    config: { lowDiskMb: 1 },
    controller: { storeFs: disk },
  });
  await waitFor('online', () => server.statuses.some((s) => s.online));
});
afterAll(async () => {
  await agent?.stop();
  await broker?.close();
  await rm(dir, { recursive: true, force: true });
});

const short = (sha: string) => sha.slice(0, 12);

describe('a disk that fills up mid-download', () => {
  it('pauses the download with one clear fault, plays what is cached, and keeps the agent working', async () => {
    expect(big.bytes.length).toBeGreaterThan(4 * CHUNK);
    const start = Date.now() + 2500;
    await server.publishPlan(
      UNIT,
      keys.sign(
        plan(UNIT, 1, [
          item('cached', cached.ref, start),
          item('big', big.ref, start + 2000),
          item('big-later', big.ref, start + 40_000),
        ]),
      ),
    );
    const fault = await waitFor('the disk-full fault', () =>
      server.events.find((e) => e.type === 'fault' && e.reason?.startsWith('disk full')),
    );
    expect(fault).toMatchObject({ sha256: big.ref.sha256 });
    expect(fault.reason).toMatch(
      new RegExp(
        `^disk full while downloading media ${short(big.ref.sha256)} \\(\\d+ of ${big.ref.bytes} bytes held, ENOSPC\\); the plan plays what is cached$`,
      ),
    );
    const low = await waitFor('the low-disk fault', () =>
      server.events.find((e) => e.type === 'fault' && e.reason?.startsWith('low disk')),
    );
    expect(low.reason).toMatch(
      /^low disk: 0 MB free, below 1 MB; the plan plays what is cached, new media may not fit$/,
    );

    // The cached item plays at its instant; the other is skipped, not half-played.
    const rec = await waitFor('the cached item in the sink', async () =>
      (await sinkRecords(agent)).find((r) => r.itemId === 'cached'),
    );
    expect(Math.abs(rec.startedAt - start)).toBeLessThan(200);
    const skipped = await waitFor('big skipped', () => server.events.find((e) => e.itemId === 'big'), 8000);
    expect(skipped).toMatchObject({ type: 'skipped', reason: `media ${short(big.ref.sha256)} not in cache` });
    await waitFor('cached finished', () => server.events.find((e) => e.itemId === 'cached' && e.type === 'finished'));

    // What was received is kept for later; the rest of the agent still answers.
    const chunks = (await readdir(join(agent.dataDir, 'partial', big.ref.sha256))).filter((n) => /^\d+$/.test(n));
    expect(chunks.length).toBeGreaterThanOrEqual(1);
    const sample = await agent.controller.parts.telemetry.sample();
    expect(sample).toMatchObject({ diskLow: true, diskFreeBytes: 4096 });
    await server.publish(
      topics.cmd(UNIT),
      keys.sign({
        unit: UNIT,
        id: 'v-1',
        type: 'volume',
        args: { volume: 70 },
        issuedAt: Date.now(),
        expiresAt: Date.now() + 60_000,
      }),
    );
    expect(await waitFor('ack', () => server.acks.find((a) => a.id === 'v-1'))).toEqual({ id: 'v-1', ok: true });
    // One event for the full disk, not one per chunk or per retry.
    await new Promise((r) => setTimeout(r, 1000));
    expect(server.events.filter((e) => e.reason?.startsWith('disk full'))).toHaveLength(1);
    expect(server.events.filter((e) => e.reason?.startsWith('low disk'))).toHaveLength(1);
  }, 20_000);

  it('resumes the download from the chunks it kept once there is room again', async () => {
    const wantsBefore = server.wants.length;
    disk.freeUp();
    await waitFor('the big media complete', () => agent.controller.parts.store.has(big.ref.sha256), 10_000);
    const resumed = server.wants.slice(wantsBefore).find((w) => w.sha === big.ref.sha256);
    expect(resumed!.have.length).toBeGreaterThanOrEqual(1);
    await waitFor(
      'disk no longer low',
      async () => (await agent.controller.parts.telemetry.sample()).diskLow === false,
    );
  }, 15_000);
});
