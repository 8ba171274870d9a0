import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PlanBody } from '@loa/shared';
import { signEnvelope } from '@loa/shared/envelope';
import { systemClock } from '../clock/clock.js';
import { memoryLogger } from '../log.js';
import { makeKeys, type TestKeys } from '../testing/keys.js';
import { item, plan } from '../testing/plans.js';
import { loadTrustedKeys } from './keys.js';
import { PlanStore } from './plan-store.js';

const UNIT = 'thon-tay-2';
const media = { sha256: 'cd'.repeat(32), bytes: 100, durationMs: 1000 };

let dir: string;
let keys: TestKeys;
let log: ReturnType<typeof memoryLogger>;
let accepted: PlanBody[];

async function newStore(): Promise<PlanStore> {
  const store = new PlanStore({
    dataDir: dir,
    unit: UNIT,
    keys: await loadTrustedKeys(keys.pemPath),
    clock: systemClock,
    log: log.child('plan'),
    onPlan: (p) => accepted.push(p),
  });
  await store.start();
  return store;
}

const send = (store: PlanStore, text: string) => store.receive(Buffer.from(text));

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loa-plan-'));
  keys = await makeKeys(dir);
  log = memoryLogger();
  accepted = [];
});

afterEach(() => rm(dir, { recursive: true, force: true }));

describe('PlanStore', () => {
  it('takes a signed plan for this unit, stores the raw envelope, and loads it again at start', async () => {
    const store = await newStore();
    const envelope = keys.sign(plan(UNIT, 3, [item('a', media, Date.now() + 60_000)]));
    expect(await send(store, envelope)).toBe(true);
    expect(await readFile(join(dir, 'plan.json'), 'utf8')).toBe(envelope);
    accepted = [];
    const again = await newStore();
    expect(again.version).toBe(3);
    expect(accepted.map((p) => p.version)).toEqual([3]);
  });

  it.each([
    ['unsigned', () => JSON.stringify(plan(UNIT, 5, [])), /^agent:plan dropped plan: not an envelope: /],
    [
      'forged (another key claiming the trusted kid)',
      () => JSON.stringify(signEnvelope(plan(UNIT, 5, []), generateKeyPairSync('ed25519').privateKey, keys.kid)),
      /^agent:plan dropped plan: bad signature$/,
    ],
    [
      'tampered after signing',
      () => {
        const env = JSON.parse(keys.sign(plan(UNIT, 5, []))) as { body: string };
        env.body = env.body.replace('"version":5', '"version":6');
        return JSON.stringify(env);
      },
      /^agent:plan dropped plan: bad signature$/,
    ],
    [
      'for another unit',
      () => keys.sign(plan('thon-bac-9', 5, [])),
      /^agent:plan dropped plan v5: for unit thon-bac-9, not thon-tay-2$/,
    ],
    [
      'expired',
      () => keys.sign(plan(UNIT, 5, [], { expiresAt: Date.now() - 1 })),
      /^agent:plan dropped plan v5: expired at /,
    ],
    [
      'older than the one held',
      () => keys.sign(plan(UNIT, 1, [])),
      /^agent:plan dropped plan v1: not newer than v2 held$/,
    ],
    [
      'the same version again',
      () => keys.sign(plan(UNIT, 2, [{ ...item('x', media, Date.now()) }])),
      /^agent:plan dropped plan v2: not newer than v2 held$/,
    ],
    [
      'signed by an unknown key',
      () =>
        JSON.stringify(signEnvelope(plan(UNIT, 5, []), generateKeyPairSync('ed25519').privateKey, 'feedfeedfeedfeed')),
      /^agent:plan dropped plan: unknown signing key "feedfeedfeedfeed"$/,
    ],
    [
      'with a body that is not a plan',
      () => keys.sign({ unit: UNIT, version: 5 }),
      /^agent:plan dropped plan: invalid payload: /,
    ],
  ])('drops a plan %s, logs why, and keeps the one held', async (_name, make, line) => {
    const store = await newStore();
    await send(store, keys.sign(plan(UNIT, 2, [])));
    accepted = [];
    expect(await send(store, make())).toBe(false);
    expect(log.lines.some((l) => line.test(l))).toBe(true);
    expect(store.version).toBe(2);
    expect(accepted).toEqual([]);
  });

  it('ignores a stored plan whose signature no longer verifies', async () => {
    await writeFile(
      join(dir, 'plan.json'),
      JSON.stringify(signEnvelope(plan(UNIT, 9, []), generateKeyPairSync('ed25519').privateKey, keys.kid)),
    );
    const store = await newStore();
    expect(store.version).toBeNull();
    expect(log.lines).toContain('agent:plan dropped stored plan: bad signature');
  });

  it('keeps an expired stored plan as the version held, but plays nothing of it', async () => {
    const store = await newStore();
    await send(store, keys.sign(plan(UNIT, 4, [], { expiresAt: Date.now() + 150 })));
    await new Promise((r) => setTimeout(r, 200));
    accepted = [];
    const again = await newStore();
    expect(again.version).toBe(4);
    expect(accepted).toEqual([]);
    expect(await send(again, keys.sign(plan(UNIT, 3, [])))).toBe(false);
  });
});
