// Issue 7, health: telemetry every `telemetryIntervalS` seconds, as configured. A real agent with
// a 1 s interval sends 3 or 4 samples in 3.5 s (on connect, then every second): not one every
// 30 s (the default), and not one every 100 ms (seconds taken for tenths).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type TestBroker } from '../testing/broker.js';
import { makeKeys } from '../testing/keys.js';
import { FakeServer, waitFor } from '../testing/fake-server.js';
import { startAgent, type TestAgent } from '../testing/agent.js';

const UNIT = 'cum-loa-suc-khoe';
const SECRET = 'pw';

let dir: string;
let broker: TestBroker;
let server: FakeServer;
let agent: TestAgent;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loa-telemetry-'));
  broker = await startBroker({ [UNIT]: SECRET });
  const keys = await makeKeys(dir);
  server = new FakeServer(await broker.serverClient());
  await server.start();
  agent = await startAgent({
    url: broker.url,
    unit: UNIT,
    secret: SECRET,
    pemPath: keys.pemPath,
    config: { telemetryIntervalS: 1 },
  });
});
afterAll(async () => {
  await agent?.stop();
  await broker?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('telemetry', () => {
  it('is sent at the configured interval', async () => {
    const start = Date.now();
    await waitFor('the first sample', () => server.telemetry.length > 0);
    await new Promise((r) => setTimeout(r, start + 3500 - Date.now()));
    const count = server.telemetry.length;
    expect(count).toBeGreaterThanOrEqual(3);
    expect(count).toBeLessThanOrEqual(5);
    expect(server.telemetry.at(-1)).toMatchObject({ volume: 100, muted: false });
  });
});
