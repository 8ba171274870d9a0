// Issue 7, bad input: random payloads thrown at every message handler of a running agent through
// the real broker, a fixed number of times per topic with a fixed seed (LOA_FUZZ_RUNS to change).
// The agent never crashes (an unhandled error fails this test run), keeps its plan, logs a reason
// for every plan and command it drops, and still plays a good plan afterwards.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type PlanBody } from '@loa/shared';
import { signEnvelope } from '@loa/shared/envelope';
import { startBroker, type TestBroker } from './testing/broker.js';
import { makeKeys, type TestKeys } from './testing/keys.js';
import { makeSine, type TestMedia } from './testing/audio.js';
import { FakeServer, waitFor } from './testing/fake-server.js';
import { sinkRecords, startAgent, type TestAgent } from './testing/agent.js';
import { item, plan } from './testing/plans.js';

const UNIT = 'cum-loa-fuzz';
const SECRET = 's3cret';
const RUNS = Number(process.env.LOA_FUZZ_RUNS ?? 300);
const SEED = 20_260_105;
const WAITING = { sha256: 'cd'.repeat(32), bytes: 5000, durationMs: 1000 };

let dir: string;
let broker: TestBroker;
let keys: TestKeys;
let server: FakeServer;
let agent: TestAgent;
let sine: TestMedia;
let held: PlanBody;

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
  agent = await startAgent({ url: broker.url, unit: UNIT, secret: SECRET, pemPath: keys.pemPath });
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
