import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type TestBroker } from '../testing/broker.js';
import { makeKeys, type TestKeys } from '../testing/keys.js';
import { FakeServer, waitFor } from '../testing/fake-server.js';
import { startAgent } from '../testing/agent.js';

const UNIT = 'xa-an-phu';
const SECRET = 'pw';

let dir: string;
let broker: TestBroker;
let keys: TestKeys;
let server: FakeServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loa-pub-'));
  broker = await startBroker({ [UNIT]: SECRET });
  keys = await makeKeys(dir);
  server = new FakeServer(await broker.serverClient());
  await server.start();
});
afterAll(async () => {
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the event queue of a running agent', () => {
  it('survives a restart: unacknowledged events are sent again, acknowledged ones never', async () => {
    const dataDir = join(dir, 'data');
    const first = await startAgent({ url: broker.url, unit: UNIT, secret: SECRET, pemPath: keys.pemPath, dataDir });
    const q = first.controller.parts.events;
    for (const reason of ['a', 'b', 'c']) await q.add({ type: 'fault', reason });
    await waitFor('three events at the server', () => server.events.length === 3);
    await server.ackEvents(UNIT, 2);
    await waitFor('trimmed', () => q.pending.length === 1);
    await first.stop();

    server.events.length = 0;
    const second = await startAgent({ url: broker.url, unit: UNIT, secret: SECRET, pemPath: keys.pemPath, dataDir });
    try {
      await waitFor('the unacknowledged event again', () => server.events.length > 0);
      expect(server.events.map((e) => [e.seq, e.reason])).toEqual([[3, 'c']]);
      const next = await second.controller.parts.events.add({ type: 'fault', reason: 'd' });
      expect(next.seq).toBe(4);
      await server.ackEvents(UNIT, 4);
      await waitFor('all acknowledged', () => second.controller.parts.events.pending.length === 0);
      // The resend timer has nothing left to send.
      const count = server.events.length;
      await new Promise((r) => setTimeout(r, 700));
      expect(server.events.length).toBe(count);
    } finally {
      await second.stop();
    }
  }, 10_000);
});
