// DESIGN §3: a message that fails validation is logged and dropped, never crashes a process.
// Every topic the agent subscribes to gets garbage here, then the agent must still take a plan.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '@loa/shared';
import { startBroker, type TestBroker } from './testing/broker.js';
import { makeKeys, type TestKeys } from './testing/keys.js';
import { FakeServer, waitFor } from './testing/fake-server.js';
import { startAgent, type TestAgent } from './testing/agent.js';
import { item, plan } from './testing/plans.js';

const UNIT = 'cum-loa-cho';
const SECRET = 's3cret';
const MISSING = { sha256: 'ef'.repeat(32), bytes: 2048, durationMs: 1000 };

let dir: string;
let broker: TestBroker;
let keys: TestKeys;
let server: FakeServer;
let agent: TestAgent;

const TEN_MB = Buffer.alloc(10 * 1024 * 1024, 0x7b);
const garbage: [string, Buffer][] = [
  ['bad JSON', Buffer.from('{"upTo": ')],
  ['wrong schema', Buffer.from('{"upTo":"all","t0":"x","body":1}')],
  ['JSON null', Buffer.from('null')],
  ['empty', Buffer.alloc(0)],
  ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0x7b, 0x7d])],
  ['10 MB', TEN_MB],
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loa-robust-'));
  broker = await startBroker({ [UNIT]: SECRET });
  keys = await makeKeys(dir);
  server = new FakeServer(await broker.serverClient());
  await server.start();
  agent = await startAgent({ url: broker.url, unit: UNIT, secret: SECRET, pemPath: keys.pemPath });
  await waitFor('the agent online', () => server.statuses.some((s) => s.online));
  // A media the server does not have: the agent stays subscribed to its chunks.
  await server.publishPlan(UNIT, keys.sign(plan(UNIT, 1, [item('wait', MISSING, Date.now() + 3600_000)])));
  await waitFor('a want', () => server.wants.some((w) => w.sha === MISSING.sha256));
});

afterAll(async () => {
  await agent?.stop();
  await broker?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('malformed messages', () => {
  it.each([
    ['plan', topics.plan(UNIT), 'agent:plan dropped plan: '],
    ['cmd', topics.cmd(UNIT), 'agent:commands dropped command: '],
    ['events/ack', topics.eventsAck(UNIT), 'agent:events dropped events/ack: '],
    ['time/reply', topics.timeReply(UNIT), 'agent:health dropped time/reply: '],
  ])(
    'on %s are logged with their reason and dropped',
    async (_name, topic, prefix) => {
      const before = agent.log.lines.filter((l) => l.startsWith(prefix)).length;
      for (const [, payload] of garbage) await server.publish(topic, payload);
      await waitFor(
        `${garbage.length} drop lines`,
        () => agent.log.lines.filter((l) => l.startsWith(prefix)).length - before >= garbage.length,
      );
      const lines = agent.log.lines.filter((l) => l.startsWith(prefix)).slice(before);
      expect(lines.some((l) => /exceeds/.test(l))).toBe(true);
      expect(lines.some((l) => /not JSON/.test(l) || /not an envelope: not JSON/.test(l))).toBe(true);
    },
    10_000,
  );

  it('on media chunk topics are dropped, and a chunk set that does not hash is discarded and wanted again', async () => {
    const sha = MISSING.sha256;
    const wantsBefore = server.wants.length;
    await server.publish(`loa/v1/media/${sha}/9/2`, Buffer.from('index past count'));
    await server.publish(`loa/v1/media/${sha}/x/y`, Buffer.from('not numbers'));
    await server.publish(`loa/v1/media/${sha}/0/1`, TEN_MB);
    await waitFor(
      'drops',
      () => agent.log.lines.filter((l) => l.startsWith('agent:cache dropped media chunk: bad topic')).length >= 2,
    );
    await waitFor('oversize drop', () =>
      agent.log.lines.includes(
        `agent:cache dropped media chunk efefefefefef 0/1: ${TEN_MB.length} bytes is not a plausible chunk`,
      ),
    );
    // Two chunks that together exceed the file's size can never hash right.
    await server.publish(`loa/v1/media/${sha}/0/2`, Buffer.alloc(MISSING.bytes - 10, 1));
    await server.publish(`loa/v1/media/${sha}/1/2`, Buffer.alloc(20, 1));
    await waitFor('oversize discard', () => agent.log.lines.some((l) => l.includes('chunks add up to more than')));
    await server.publish(`loa/v1/media/${sha}/0/1`, Buffer.alloc(MISSING.bytes, 1));
    await waitFor('hash discard', () =>
      agent.log.lines.some((l) =>
        /^agent:cache discarded media efefefefefef: the chunks hash to [0-9a-f]{12}, wanting it again$/.test(l),
      ),
    );
    await waitFor('a fresh want', () =>
      server.wants.slice(wantsBefore).some((w) => w.sha === sha && w.have.length === 0),
    );
  }, 10_000);

  it('leave the agent running: it still takes a good plan and answers a command', async () => {
    await server.publishPlan(UNIT, keys.sign(plan(UNIT, 2, [])));
    await waitFor('plan v2', () => agent.controller.parts.plans.version === 2);
    await server.publish(
      topics.cmd(UNIT),
      keys.sign({
        unit: UNIT,
        id: 'c-1',
        type: 'mute',
        args: {},
        issuedAt: Date.now(),
        expiresAt: Date.now() + 60_000,
      }),
    );
    expect(await waitFor('ack', () => server.acks.find((a) => a.id === 'c-1'))).toEqual({ id: 'c-1', ok: true });
  }, 10_000);
});
