// Issue 7, bad input: random payloads thrown at every message handler of a running agent through
// the real broker, a fixed number of times per topic with a fixed seed (LOA_FUZZ_RUNS to change):
// garbage, and well-signed commands of every type with arguments good and bad; then the audio topic
// of an open live session. The agent never crashes (an unhandled error fails this test run), keeps
// its plan, logs a reason for every plan and command it drops, answers every command it runs,
// never plays a live frame that is not authentic, and still plays a good plan afterwards.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type CommandBody, type PlanBody } from '@loa/shared';
import { signEnvelope } from '@loa/shared/envelope';
import { newLiveSessionKey, signLiveFrame } from '@loa/shared/live-frame';
import { opusHeadPages } from '@loa/shared/ogg';
import { liveFramer, opusPackets } from '@loa/shared/testing/opus';
import { startBroker, type TestBroker } from './testing/broker.js';
import { makeKeys, type TestKeys } from './testing/keys.js';
import { makeSine, type TestMedia } from './testing/audio.js';
import { FakeServer, waitFor } from './testing/fake-server.js';
import { sinkRecords, startAgent, type TestAgent } from './testing/agent.js';
import { item, plan } from './testing/plans.js';
import { COMMAND_TYPES, commandsOfEveryType } from './testing/fuzz-commands.js';

const UNIT = 'cum-loa-fuzz';
const SECRET = 's3cret';
const RUNS = Number(process.env.LOA_FUZZ_RUNS ?? 300);
/** Well-signed commands are each run, some for real (a tone, an emergency): fewer of them. */
const SIGNED_RUNS = Math.ceil(RUNS / 4);
const SEED = 20_260_105;
const WAITING = { sha256: 'cd'.repeat(32), bytes: 5000, durationMs: 1000 };

let dir: string;
let broker: TestBroker;
let keys: TestKeys;
let server: FakeServer;
let agent: TestAgent;
let sine: TestMedia;
let held: PlanBody;
let liveKey: string;

const json = fc.jsonValue({ maxDepth: 4 });
const bytes = fc.uint8Array({ maxLength: 4096 }).map((a) => Buffer.from(a));
const text = fc.string({ maxLength: 200 });
const forger = generateKeyPairSync('ed25519').privateKey;

/** Garbage of every shape: bytes, JSON, envelope-shaped, forged, and signed but wrong bodies. */
function payloads(signedBody: fc.Arbitrary<unknown>): fc.Arbitrary<Buffer> {
  return fc.oneof(
    bytes,
    json.map((v) => Buffer.from(JSON.stringify(v))),
    fc.record({ body: text, sig: text, kid: text }).map((v) => Buffer.from(JSON.stringify(v))),
    fc.record({ body: json, sig: json, kid: json }).map((v) => Buffer.from(JSON.stringify(v))),
    signedBody.map((b) => Buffer.from(JSON.stringify(signEnvelope(b, forger, keys.kid)))),
    signedBody.map((b) => Buffer.from(keys.sign(b))),
    json.map((b) => Buffer.from(keys.sign(b))),
  );
}

/** Plan bodies that must all be refused: each carries at least one poison. */
function badPlans(): fc.Arbitrary<unknown> {
  const poison = fc.constantFrom<(p: Record<string, unknown>) => void>(
    (p) => (p.unit = 'thon-khac'),
    // The same version with other content (the very same bytes are the retained plan again).
    (p) => Object.assign(p, { version: held.version, issuedAt: held.issuedAt + 1 }),
    (p) => (p.version = 0),
    (p) => (p.expiresAt = 1),
    (p) => (p.items = [{ id: 'x' }]),
    (p) => (p.windows = 'all day'),
    (p) => delete p.issuedAt,
  );
  return fc
    .record({
      version: fc.oneof(fc.integer(), fc.double(), fc.constant(held.version + 1)),
      extra: fc.dictionary(fc.string({ maxLength: 10 }), json, { maxKeys: 3 }),
      poisons: fc.array(poison, { minLength: 1, maxLength: 3 }),
    })
    .map(({ version, extra, poisons }) => {
      const p: Record<string, unknown> = { ...held, ...extra, version };
      for (const apply of poisons) apply(p);
      return p;
    });
}

function commands(): fc.Arbitrary<unknown> {
  return fc.record({
    unit: fc.oneof(fc.constant(UNIT), text),
    id: fc.oneof(text, fc.integer()),
    type: fc.oneof(fc.constantFrom('volume', 'test-tone', 'play-now', 'live-start', 'reboot'), text),
    args: fc.oneof(fc.dictionary(fc.string({ maxLength: 10 }), json, { maxKeys: 3 }), json),
    issuedAt: fc.oneof(fc.nat(), fc.double()),
    expiresAt: fc.oneof(fc.constant(Date.now() + 600_000), fc.nat(), json),
  });
}

let quietN = 0;
/** A command this test needs to succeed, not a fuzzed one. */
const quiet = (type: CommandBody['type'], args: Record<string, unknown>): CommandBody => ({
  unit: UNIT,
  id: `fz-quiet-${++quietN}`,
  type,
  args,
  issuedAt: Date.now(),
  expiresAt: Date.now() + 600_000,
});
const sample = <T>(arb: fc.Arbitrary<T>, salt: number) => fc.sample(arb, { seed: SEED + salt, numRuns: RUNS });
const count = (prefix: string) => agent.log.lines.filter((l) => l.startsWith(prefix)).length;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loa-fuzz-'));
  broker = await startBroker({ [UNIT]: SECRET });
  keys = await makeKeys(dir);
  server = new FakeServer(await broker.serverClient());
  await server.start();
  sine = await makeSine(dir, 1);
  server.media.set(sine.ref.sha256, sine.bytes);
  liveKey = newLiveSessionKey();
  // A short warm-up: command sounds and emergencies are answered once they sound.
  agent = await startAgent({
    url: broker.url,
    unit: UNIT,
    secret: SECRET,
    pemPath: keys.pemPath,
    config: { warmupMs: 100 },
  });
  await waitFor('online', () => server.statuses.some((s) => s.online));
  // A plan waiting for a media the server never sends: the agent stays subscribed to its chunks.
  held = plan(UNIT, 5, [item('wait', WAITING, Date.now() + 3600_000)]);
  await server.publishPlan(UNIT, keys.sign(held));
  await waitFor('plan v5', () => agent.controller.parts.plans.version === 5);
});
afterAll(async () => {
  await agent?.stop();
  await broker?.close();
  await rm(dir, { recursive: true, force: true });
});

describe(`${RUNS} random payloads on every topic the agent handles`, () => {
  it('never crash it, each bad plan and command is dropped with a reason, and the plan is kept', async () => {
    const planDrops = count('agent:plan dropped plan');
    const cmdDrops = count('agent:commands dropped command');
    const acks = server.acks.length;
    const plans = sample(payloads(badPlans()), 1);
    const cmds = sample(payloads(commands()), 2);
    for (const p of plans) await server.publish(topics.plan(UNIT), p);
    for (const c of cmds) await server.publish(topics.cmd(UNIT), c);
    for (const a of sample(payloads(json), 3)) await server.publish(topics.eventsAck(UNIT), a);
    for (const r of sample(payloads(json), 4)) await server.publish(topics.timeReply(UNIT), r, 0);
    const chunkTopic = fc.oneof(
      fc.tuple(fc.nat(20), fc.integer({ min: 1, max: 20 })).map(([i, n]) => `loa/v1/media/${WAITING.sha256}/${i}/${n}`),
      text.map((t) => `loa/v1/media/${WAITING.sha256}/${encodeURIComponent(t).slice(0, 20) || 'x'}/1`),
    );
    for (const [t, b] of sample(fc.tuple(chunkTopic, bytes), 5)) await server.publish(t, b);

    // Every plan is accounted for by a line saying why it was dropped.
    await waitFor(`${RUNS} plan drops`, () => count('agent:plan dropped plan') - planDrops >= RUNS, 20_000);
    expect(count('agent:plan dropped plan') - planDrops).toBe(RUNS);
    // Every command is either dropped with a reason or acknowledged (ok or with its error).
    await waitFor(
      `${RUNS} commands handled`,
      () => count('agent:commands dropped command') - cmdDrops + server.acks.length - acks >= RUNS,
      20_000,
    );
    expect(agent.controller.parts.plans.version).toBe(5);
    expect(agent.controller.parts.plans.current).toEqual(held);
    expect(agent.controller.parts.link.connected).toBe(true);
    expect(agent.log.lines.filter((l) => / error: (uncaught|unhandled|handler of)/.test(l))).toEqual([]);
  }, 120_000);

  it(`${SIGNED_RUNS} well-signed commands of every type are each run and answered, and the plan is kept`, async () => {
    const drawn = sample(
      commandsOfEveryType({
        shas: [sine.ref.sha256, WAITING.sha256],
        bytes: sine.ref.bytes,
        durationMs: sine.ref.durationMs,
        liveKey,
      }),
      6,
    ).slice(0, SIGNED_RUNS);
    expect(new Set(drawn.map((c) => c.type))).toEqual(new Set(COMMAND_TYPES));
    const ids: string[] = [];
    for (const [i, { type, args }] of drawn.entries()) {
      const { validForMs, ...rest } = args as { validForMs?: number };
      const body: CommandBody = {
        unit: UNIT,
        id: `fz-cmd-${i}`,
        type,
        args: validForMs === undefined ? rest : { ...rest, validUntil: Date.now() + validForMs },
        issuedAt: Date.now(),
        expiresAt: Date.now() + 600_000,
      };
      ids.push(body.id);
      await server.publish(topics.cmd(UNIT), keys.sign(body));
    }
    await waitFor(
      `${SIGNED_RUNS} commands answered`,
      () => ids.every((id) => server.acks.some((a) => a.id === id)),
      60_000,
    );
    // Answered, not dropped: each ran, and said so (ok, or why not).
    expect(ids.filter((id) => !server.acks.some((a) => a.id === id))).toEqual([]);
    expect(server.acks.some((a) => ids.includes(a.id) && a.ok)).toBe(true);
    expect(server.acks.some((a) => ids.includes(a.id) && !a.ok)).toBe(true);
    expect(agent.controller.parts.plans.current).toEqual(held);
    expect(agent.controller.parts.link.connected).toBe(true);
    expect(agent.log.lines.filter((l) => / error: (uncaught|unhandled|handler of)/.test(l))).toEqual([]);
    // Quiet again for what follows: sounds ended, unmuted.
    for (const sessionId of ['fz-a', 'fz-b'])
      await server.publish(topics.cmd(UNIT), keys.sign(quiet('live-stop', { sessionId })));
    await server.publish(topics.cmd(UNIT), keys.sign(quiet('unmute', {})));
    await waitFor(
      'unmuted and silent',
      () => {
        const p = agent.controller.parts;
        return !p.state.muted && p.live.session === undefined && p.scheduler.playing === null;
      },
      10_000,
    );
    await agent.controller.parts.emergency.idle();
  }, 120_000);

  it(`${RUNS} bad frames on an open live session never sound, and the session goes on`, async () => {
    const sessionId = 'fz-live';
    const serial = 4242;
    const start = quiet('live-start', {
      sessionId,
      key: liveKey,
      head: opusHeadPages(serial).toString('base64'),
      volume: 100,
      idleMs: 60_000,
    });
    await server.publish(topics.cmd(UNIT), keys.sign(start));
    expect(await waitFor('live-start answered', () => server.acks.find((a) => a.id === start.id))).toEqual({
      id: start.id,
      ok: true,
    });
    const frame = liveFramer(liveKey, sessionId, serial);
    const voice = await opusPackets('sine=frequency=500:duration=0.4');
    const good = frame(voice[0]!);
    await server.publish(topics.live(sessionId), good, 0);
    const otherKey = newLiveSessionKey();
    const bad = fc.oneof(
      bytes,
      json.map((v) => Buffer.from(JSON.stringify(v))),
      // Forged, for another session, replayed, damaged, cut short.
      bytes.map((b) => signLiveFrame(otherKey, sessionId, 1000, b)),
      bytes.map((b) => signLiveFrame(liveKey, 'fz-other', 1000, b)),
      fc.constant(good),
      fc.nat(good.length - 1).map((i) => {
        const flipped = Buffer.from(good);
        flipped[i] = flipped[i]! ^ 0x40;
        return flipped;
      }),
      fc.nat(good.length - 1).map((n) => good.subarray(0, n)),
    );
    const dropped = agent.controller.parts.live.framesDropped;
    // QoS 1 here: every one of them reaches the agent.
    for (const payload of sample(bad, 7)) await server.publish(topics.live(sessionId), payload);
    await waitFor(`${RUNS} frames dropped`, () => agent.controller.parts.live.framesDropped - dropped >= RUNS);
    expect(agent.controller.parts.live.framesDropped - dropped).toBe(RUNS);
    expect(agent.log.lines.some((l) => l.includes(`live:${sessionId}: dropped a frame`))).toBe(true);
    // Still on air, and still playing what is authentic.
    expect(agent.controller.parts.live.session).toBe(sessionId);
    for (const packet of voice.slice(1)) {
      await server.publish(topics.live(sessionId), frame(packet), 0);
      await new Promise((r) => setTimeout(r, 20));
    }
    const stop = quiet('live-stop', { sessionId });
    await server.publish(topics.cmd(UNIT), keys.sign(stop));
    await waitFor('live-stop answered', () => server.acks.find((a) => a.id === stop.id && a.ok));
    const rec = await waitFor('the session in the sink', async () =>
      (await sinkRecords(agent)).find((r) => r.itemId === `live:${sessionId}`),
    );
    expect(rec.samples).toBeGreaterThan(0);
    expect(agent.log.lines.filter((l) => / error: (uncaught|unhandled|handler of)/.test(l))).toEqual([]);
  }, 30_000);

  it('leave it able to take and play a good plan', async () => {
    const startAt = Date.now() + 2500;
    await server.publishPlan(UNIT, keys.sign(plan(UNIT, 6, [item('after-fuzz', sine.ref, startAt)])));
    const rec = await waitFor(
      'played',
      async () => (await sinkRecords(agent)).find((r) => r.itemId === 'after-fuzz'),
      10_000,
    );
    expect(Math.abs(rec.startedAt - startAt)).toBeLessThan(200);
  }, 15_000);
});
