// Issue #8 inside a real agent (real broker, real ffmpeg, file sink): a live session plays what
// arrives with its key, pre-empts a planned item, gives way to an emergency, and releases the
// amplifier when stopped or when the frames stop. Frames without the key, or replayed, never sound.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type CommandBody } from '@loa/shared';
import { newLiveSessionKey } from '@loa/shared/live-frame';
import { opusHeadPages } from '@loa/shared/ogg';
import { startBroker, type TestBroker } from '../testing/broker.js';
import { makeKeys, type TestKeys } from '../testing/keys.js';
import { makeSine, type TestMedia } from '../testing/audio.js';
import { FakeServer, waitFor } from '../testing/fake-server.js';
import { relaySwitches, sinkRecords, startAgent, type TestAgent } from '../testing/agent.js';
import { liveFramer, opusPackets } from '@loa/shared/testing/opus';
import { item, plan } from '../testing/plans.js';
import { WAV_HEADER_BYTES } from '../player/sinks/wav.js';

const UNIT = 'cum-loa-cho';
const SECRET = 'pw';

let dir: string;
let broker: TestBroker;
let keys: TestKeys;
let server: FakeServer;
let agent: TestAgent;
let long: TestMedia;
let short: TestMedia;
let voice: Buffer[];
let n = 0;
let version = 0;

const cmd = (type: CommandBody['type'], args: Record<string, unknown>): CommandBody => ({
  unit: UNIT,
  id: `c-${++n}`,
  type,
  args,
  issuedAt: Date.now(),
  expiresAt: Date.now() + 30_000,
});

async function send(body: CommandBody) {
  await server.publish(topics.cmd(UNIT), keys.sign(body));
  return waitFor(`ack of ${body.id}`, () => server.acks.find((a) => a.id === body.id));
}

interface Session {
  id: string;
  key: string;
  start(extra?: Record<string, unknown>): Promise<{ ok: boolean; error?: string }>;
  /** Publishes packets every 20 ms, as the server forwards a speaker's; resolves when all are out. */
  speak(packets: Buffer[]): Promise<void>;
  /** What the server sent last, for a replay. */
  sent: Buffer[];
  stop(): Promise<{ ok: boolean; error?: string }>;
}

function session(): Session {
  const id = `live-${randomBytes(6).toString('hex')}`;
  const key = newLiveSessionKey();
  const serial = randomBytes(4).readUInt32LE(0);
  const frame = liveFramer(key, id, serial);
  const sent: Buffer[] = [];
  return {
    id,
    key,
    sent,
    start: (extra = {}) =>
      send(
        cmd('live-start', {
          sessionId: id,
          key,
          head: opusHeadPages(serial).toString('base64'),
          volume: 100,
          idleMs: 3000,
          ...extra,
        }),
      ),
    async speak(packets) {
      const t0 = Date.now();
      for (let i = 0; i < packets.length; i++) {
        const wait = t0 + i * 20 - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const f = frame(packets[i]!);
        sent.push(f);
        await server.publish(topics.live(id), f, 0);
      }
    },
    stop: () => send(cmd('live-stop', { sessionId: id })),
  };
}

/** RMS of a sink WAV file's samples, 0…1. */
async function rmsOf(file: string): Promise<number> {
  const pcm = (await readFile(join(agent.sinkDir, file))).subarray(WAV_HEADER_BYTES);
  let sum = 0;
  for (let i = 0; i + 1 < pcm.length; i += 2) sum += (pcm.readInt16LE(i) / 32768) ** 2;
  return Math.sqrt(sum / Math.max(1, pcm.length / 2));
}

const recordOf = (itemId: string) =>
  waitFor(`${itemId} in the sink`, async () => (await sinkRecords(agent)).find((r) => r.itemId === itemId));
const eventOf = (itemId: string, type: string, timeoutMs?: number) =>
  waitFor(`${type} of ${itemId}`, () => server.events.find((e) => e.itemId === itemId && e.type === type), timeoutMs);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loa-live-'));
  broker = await startBroker({ [UNIT]: SECRET });
  keys = await makeKeys(dir);
  server = new FakeServer(await broker.serverClient());
  await server.start();
  long = await makeSine(dir, 20, 300);
  server.media.set(long.ref.sha256, long.bytes);
  short = await makeSine(dir, 1, 600);
  server.media.set(short.ref.sha256, short.bytes);
  voice = await opusPackets('sine=frequency=440:duration=1.5');
  agent = await startAgent({
    url: broker.url,
    unit: UNIT,
    secret: SECRET,
    pemPath: keys.pemPath,
    config: { warmupMs: 200 },
  });
  await waitFor('online', () => server.statuses.some((s) => s.online));
  // A window open now (rule 1): the plan of test/plans.ts, with no item yet.
  await server.publishPlan(UNIT, keys.sign(plan(UNIT, ++version, [])));
  await waitFor('the plan', () => agent.controller.parts.plans.current?.version === version);
}, 60_000);
afterAll(async () => {
  await agent?.stop();
  await broker?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('a live session on the unit', () => {
  it('plays what arrives with the session key, with the amplifier on, and releases on live-stop', async () => {
    const s = session();
    expect(await s.start()).toMatchObject({ ok: true });
    expect(agent.controller.parts.live.session).toBe(s.id);
    await s.speak(voice);
    await new Promise((r) => setTimeout(r, 300));
    expect(await s.stop()).toMatchObject({ ok: true });
    const rec = await recordOf(`live:${s.id}`);
    await eventOf(`live:${s.id}`, 'started');
    const finished = await eventOf(`live:${s.id}`, 'finished');
    // 1.5 s spoken. What did not sound was dropped on purpose to keep the delay short, and the
    // agent says how much: the start while the amplifier warms up, and on a busy machine a burst
    // of frames that arrived late together (failed once in a full run at 1.14 s sounded).
    const droppedLine = new RegExp(`live:${s.id}: dropped (\\d+) ms`);
    const dropped = Number(agent.log.lines.map((l) => droppedLine.exec(l)?.[1]).find(Boolean) ?? 0);
    expect(rec.samples / 48_000 + dropped / 1000).toBeGreaterThan(1.2);
    expect(rec.samples / 48_000).toBeGreaterThan(0.75);
    expect(Math.abs(finished.durationMs! - rec.samples / 48)).toBeLessThanOrEqual(1);
    // lavfi's sine has amplitude 1/8 (RMS 0.088): the voice, not silence, reached the loudspeaker.
    expect(await rmsOf(rec.file)).toBeGreaterThan(0.06);
    await waitFor('amplifier off', () => !agent.controller.parts.amplifier.on);
    const switches = await relaySwitches(agent);
    const on = switches.findLast((x) => x.on)!;
    expect(on.at).toBeLessThan(rec.startedAt);
    expect(agent.controller.parts.live.session).toBeUndefined();
  });

  it('drops frames without the key and replayed frames: they never sound', async () => {
    const s = session();
    expect(await s.start()).toMatchObject({ ok: true });
    // A stranger who knows the broker password but not the session key.
    const forger = liveFramer(newLiveSessionKey(), s.id, 1);
    for (const p of voice.slice(0, 50)) await server.publish(topics.live(s.id), forger(p), 0);
    await s.speak(voice.slice(0, 25));
    // The same frames again (a replay): below the last seq, dropped.
    for (const f of s.sent) await server.publish(topics.live(s.id), f, 0);
    await new Promise((r) => setTimeout(r, 300));
    await s.stop();
    const rec = await recordOf(`live:${s.id}`);
    // Only the 25 genuine packets (0.5 s) sounded, plus silence while waiting for more.
    expect(rec.samples / 48_000).toBeLessThan(1.0);
    expect(agent.log.lines.some((l) => l.includes(`live:${s.id}: dropped a frame (bad tag)`))).toBe(true);
  });

  it('pre-empts a planned item, and the plan goes on afterwards', async () => {
    const startAt = Date.now() + 1500;
    await server.publishPlan(
      UNIT,
      keys.sign(
        plan(UNIT, ++version, [item('ban-tin-dai', long.ref, startAt), item('ban-tin-sau', short.ref, startAt + 5000)]),
      ),
    );
    await eventOf('ban-tin-dai', 'started');
    const s = session();
    expect(await s.start()).toMatchObject({ ok: true });
    const cut = await eventOf('ban-tin-dai', 'preempted');
    expect(cut.reason).toBe(`pre-empted by live session ${s.id}`);
    await s.speak(voice.slice(0, 30));
    await s.stop();
    const live = await eventOf(`live:${s.id}`, 'finished');
    // Cut, it is not aired again; the next item plays at its time.
    const next = await eventOf('ban-tin-sau', 'started');
    expect(next.at).toBeGreaterThan(live.at);
    expect(Math.abs(next.at - (startAt + 5000))).toBeLessThan(100);
    expect(server.events.filter((e) => e.itemId === 'ban-tin-dai' && e.type === 'started')).toHaveLength(1);
  });

  it('gives way to an emergency, and is refused while one is on air', async () => {
    const s = session();
    expect(await s.start()).toMatchObject({ ok: true });
    const speaking = s.speak(voice);
    await new Promise((r) => setTimeout(r, 500));
    const em = await send(
      cmd('emergency', {
        emergencyId: 'em-lu',
        sha256: long.ref.sha256,
        bytes: long.ref.bytes,
        durationMs: long.ref.durationMs,
        repeat: 1,
        volume: 100,
        validUntil: Date.now() + 60_000,
      }),
    );
    expect(em).toMatchObject({ ok: true });
    expect((await eventOf(`live:${s.id}`, 'preempted')).reason).toBe('pre-empted by emergency em-lu');
    await speaking;
    const again = session();
    expect(await again.start()).toMatchObject({
      ok: false,
      error: 'an emergency is on air; live may start once it has ended',
    });
    expect(await send(cmd('stop', {}))).toMatchObject({ ok: true });
    await eventOf('emergency:em-lu:1', 'preempted');
  });

  it('keeps rule 1: outside every window only an emergency live sounds, holding like an emergency', async () => {
    const later = Date.now() + 3 * 3600_000;
    await server.publishPlan(
      UNIT,
      keys.sign(plan(UNIT, ++version, [], { windows: [{ startAt: later, endAt: later + 3600_000 }] })),
    );
    await waitFor('the plan', () => agent.controller.parts.plans.current?.version === version);
    expect(await session().start()).toMatchObject({
      ok: false,
      error: 'outside every broadcast window of the plan held (rule 1); only an emergency live may sound now',
    });
    try {
      const s = session();
      // Released by its idle time once the frames stop, so all it was sent has played (a stop
      // right after the last frame may cut what the jitter buffer still holds on a busy machine).
      expect(await s.start({ level: 'emergency', idleMs: 1000 })).toMatchObject({ ok: true });
      expect(agent.controller.parts.scheduler.emergencyOnAir).toBe(true);
      await s.speak(voice.slice(0, 40));
      // A second of silence ends it; on a loaded machine playback runs behind, so wait longer.
      await eventOf(`live:${s.id}`, 'finished', 20_000);
      const rec = await recordOf(`live:${s.id}`);
      expect(rec.samples / 48_000).toBeGreaterThan(0.75);
      expect((await eventOf(`live:${s.id}`, 'started')).reason).toBe(`emergency live session ${s.id}`);
    } finally {
      // The window open again for the tests after this one, whatever happened here.
      await server.publishPlan(UNIT, keys.sign(plan(UNIT, ++version, [])));
      await waitFor('the plan', () => agent.controller.parts.plans.current?.version === version);
    }
  });

  it('releases by itself when the frames stop, and is refused while the unit is muted', async () => {
    const s = session();
    expect(await s.start({ idleMs: 1000 })).toMatchObject({ ok: true });
    await s.speak(voice.slice(0, 25));
    const ended = await eventOf(`live:${s.id}`, 'finished');
    expect(ended.durationMs).toBeLessThan(3000);
    await waitFor('released', () => agent.controller.parts.live.session === undefined);
    await waitFor('amplifier off', () => !agent.controller.parts.amplifier.on);

    expect(await send(cmd('mute', {}))).toMatchObject({ ok: true });
    expect(await session().start()).toMatchObject({ ok: false, error: 'the unit is muted; unmute it first' });
    await send(cmd('unmute', {}));
    expect(await session().start({ key: 'c2hvcnQ=' })).toMatchObject({
      ok: false,
      error: 'args.key must be 32 bytes in base64',
    });
  });
});
