// An emergency's repeats in a real agent (real broker, real ffmpeg behind a wrapper that logs each
// process it starts, file sink): the next repeat's decoder is ready while the first repeat plays,
// so the repeats follow back to back (commit cc13154); stopping the emergency early ends both
// decoders, the one playing and the one waiting, and starts no other: no ffmpeg is left behind.
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type CommandBody } from '@loa/shared';
import { startBroker, type TestBroker } from '../testing/broker.js';
import { makeKeys, type TestKeys } from '../testing/keys.js';
import { makeSine, type TestMedia } from '../testing/audio.js';
import { FakeServer, waitFor } from '../testing/fake-server.js';
import { sinkRecords, startAgent, type TestAgent } from '../testing/agent.js';
import { findFfmpeg } from '../player/ffmpeg.js';

const UNIT = 'cum-loa-lap';
const SECRET = 'pw';

let dir: string;
let broker: TestBroker;
let keys: TestKeys;
let server: FakeServer;
let agent: TestAgent;
let sine: TestMedia;
let spawnLog: string;
let n = 0;

async function send(type: CommandBody['type'], args: Record<string, unknown>) {
  const body: CommandBody = {
    unit: UNIT,
    id: `r-${++n}`,
    type,
    args,
    issuedAt: Date.now(),
    expiresAt: Date.now() + 60_000,
  };
  await server.publish(topics.cmd(UNIT), keys.sign(body));
  return waitFor(`ack of ${body.id}`, () => server.acks.find((a) => a.id === body.id), 10_000);
}

/** The decoders the agent started for the emergency's media: pid per line of the wrapper's log. */
async function decoders(): Promise<number[]> {
  const lines = (await readFile(spawnLog, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return lines.filter((l) => l.includes(`cache/${sine.ref.sha256}`)).map((l) => Number(l.split(' ')[0]));
}

/** Running, not merely waiting to be reaped. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loa-repeats-'));
  broker = await startBroker({ [UNIT]: SECRET });
  keys = await makeKeys(dir);
  server = new FakeServer(await broker.serverClient());
  await server.start();
  sine = await makeSine(dir, 2);
  server.media.set(sine.ref.sha256, sine.bytes);
  spawnLog = join(dir, 'ffmpeg.log');
  const wrapper = join(dir, 'ffmpeg');
  // exec keeps the pid: the one logged is the ffmpeg that runs.
  await writeFile(wrapper, `#!/bin/sh\necho "$$ $*" >> "${spawnLog}"\nexec "${findFfmpeg()}" "$@"\n`);
  await chmod(wrapper, 0o755);
  agent = await startAgent({
    url: broker.url,
    unit: UNIT,
    secret: SECRET,
    pemPath: keys.pemPath,
    ffmpeg: wrapper,
    config: { warmupMs: 200 },
  });
  await waitFor('online', () => server.statuses.some((s) => s.online));
});
afterAll(async () => {
  await agent?.stop();
  await broker?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('an emergency repeated', () => {
  it('has the next repeat’s decoder ready while one plays, and leaves no decoder when stopped early', async () => {
    const args = {
      emergencyId: 'lu-quet',
      sha256: sine.ref.sha256,
      bytes: sine.ref.bytes,
      durationMs: sine.ref.durationMs,
      repeat: 3,
      volume: 100,
      validUntil: Date.now() + 60_000,
    };
    // Acknowledged once the first sample of the first repeat has sounded.
    expect(await send('emergency', args)).toEqual({ id: `r-${n}`, ok: true });
    const [first, second] = await waitFor('the second repeat’s decoder', async () => {
      const pids = await decoders();
      return pids.length >= 2 ? pids : undefined;
    });
    expect(agent.controller.parts.scheduler.playing).toBe('emergency:lu-quet:1');
    expect([running(first!), running(second!)]).toEqual([true, true]);
    expect(await decoders()).toHaveLength(2);

    expect(await send('stop', { emergencyId: 'lu-quet' })).toMatchObject({ ok: true });
    await waitFor('both decoders ended', () => ![first!, second!].some(running));
    await agent.controller.parts.emergency.idle();
    await new Promise((r) => setTimeout(r, 300));
    // The third repeat's was never started, nor a new one for the second.
    expect(await decoders()).toEqual([first, second]);
    expect(agent.controller.parts.scheduler.playing).toBeNull();
    const heard = (await sinkRecords(agent)).map((r) => r.itemId);
    expect(heard).toEqual(['emergency:lu-quet:1']);
    const [rec] = await sinkRecords(agent);
    expect(rec!.samples).toBeLessThan(48_000 * 2);
  }, 20_000);
});
