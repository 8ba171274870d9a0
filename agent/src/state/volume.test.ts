// Volume as a listener hears it (issue 7: volume per item and per unit), in a real agent (real
// broker, real ffmpeg, file sink): at unit volume 50 an item at volume 80 sounds at 0.4 of the
// media's level, an emergency at 80 at 0.8 whatever the unit volume (rule 4), and a muted unit
// sounds nothing.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type CommandBody } from '@loa/shared';
import { startBroker, type TestBroker } from '../testing/broker.js';
import { makeKeys, type TestKeys } from '../testing/keys.js';
import { makeSine, type TestMedia } from '../testing/audio.js';
import { FakeServer, waitFor } from '../testing/fake-server.js';
import { sinkRecords, startAgent, type TestAgent } from '../testing/agent.js';
import { item, plan } from '../testing/plans.js';
import { WAV_HEADER_BYTES } from '../player/sinks/wav.js';

const UNIT = 'cum-loa-am-luong';
const SECRET = 'pw';

let dir: string;
let broker: TestBroker;
let keys: TestKeys;
let server: FakeServer;
let agent: TestAgent;
let sine: TestMedia;
/** The loudest sample of the media as ffmpeg decodes it: the level at gain 1. */
let full: number;
let n = 0;

function peak(pcm: Buffer, from = 0): number {
  let max = 0;
  for (let i = from; i + 1 < pcm.length; i += 2) max = Math.max(max, Math.abs(pcm.readInt16LE(i)));
  return max;
}

async function send(type: CommandBody['type'], args: Record<string, unknown> = {}) {
  const body: CommandBody = {
    unit: UNIT,
    id: `v-${++n}`,
    type,
    args,
    issuedAt: Date.now(),
    expiresAt: Date.now() + 60_000,
  };
  await server.publish(topics.cmd(UNIT), keys.sign(body));
  return waitFor(`ack of ${body.id}`, () => server.acks.find((a) => a.id === body.id));
}

/** The WAV the sink wrote for an item, once it has ended. */
async function heard(itemId: string): Promise<{ samples: number; peak: number }> {
  const rec = await waitFor(
    `${itemId} in the sink`,
    async () => (await sinkRecords(agent)).find((r) => r.itemId === itemId),
    8000,
  );
  const wav = await readFile(join(agent.sinkDir, rec.file));
  return { samples: rec.samples, peak: peak(wav, WAV_HEADER_BYTES) };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loa-volume-'));
  broker = await startBroker({ [UNIT]: SECRET });
  keys = await makeKeys(dir);
  server = new FakeServer(await broker.serverClient());
  await server.start();
  sine = await makeSine(dir, 0.5);
  server.media.set(sine.ref.sha256, sine.bytes);
  const decoded = await promisify(execFile)(
    'ffmpeg',
    ['-nostdin', '-loglevel', 'error', '-i', sine.path, '-ac', '1', '-ar', '48000', '-f', 's16le', 'pipe:1'],
    { encoding: 'buffer', maxBuffer: 10 * 1024 * 1024 },
  );
  full = peak(decoded.stdout);
  agent = await startAgent({
    url: broker.url,
    unit: UNIT,
    secret: SECRET,
    pemPath: keys.pemPath,
    config: { warmupMs: 200 },
  });
  await waitFor('online', () => server.statuses.some((s) => s.online));
});
afterAll(async () => {
  await agent?.stop();
  await broker?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('what the loudspeaker sounds at a unit volume', () => {
  it('item volume × unit volume, an emergency at its own volume, and silence when muted', async () => {
    expect(full).toBeGreaterThan(3000);
    expect(await send('volume', { volume: 50 })).toMatchObject({ ok: true });
    const t = Date.now() + 2000;
    await server.publishPlan(
      UNIT,
      keys.sign(
        plan(UNIT, 1, [
          item('am-luong', sine.ref, t, { volume: 80 }),
          item('tat-tieng', sine.ref, t + 2500, { volume: 80 }),
        ]),
      ),
    );
    const ordinary = await heard('am-luong');
    expect(ordinary.samples).toBeGreaterThan(20_000);
    expect(ordinary.peak / full).toBeCloseTo(0.4, 2);

    const args = {
      emergencyId: 'khan-cap',
      sha256: sine.ref.sha256,
      bytes: sine.ref.bytes,
      durationMs: sine.ref.durationMs,
      repeat: 1,
      volume: 80,
      validUntil: Date.now() + 60_000,
    };
    expect(await send('emergency', args)).toMatchObject({ ok: true });
    const urgent = await heard('emergency:khan-cap:1');
    expect(urgent.peak / full).toBeCloseTo(0.8, 2);

    expect(await send('mute')).toMatchObject({ ok: true });
    const muted = await heard('tat-tieng');
    // It ran its course, in silence.
    expect(muted.samples).toBeGreaterThan(20_000);
    expect(muted.peak).toBe(0);
  }, 20_000);
});
