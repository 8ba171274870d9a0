import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PlanItem } from '@loa/shared';
import { ManualClock } from '../clock/manual-clock.js';
import { memoryLogger } from '../log.js';
import type { EventSink, NewEvent } from '../events/event-queue.js';
import { fakePlayer } from '../testing/fake-player.js';
import { item, plan } from '../testing/plans.js';
import { PlayedRecord } from './played-record.js';
import { Scheduler } from './scheduler.js';

const UNIT = 'thon-ha-4';
const T0 = Date.UTC(2026, 0, 5, 22, 0, 0); // 05:00 in Asia/Ho_Chi_Minh
const media = (ms: number, n = 1) => ({
  sha256: n.toString(16).padStart(2, '0').repeat(32),
  bytes: 1000,
  durationMs: ms,
});
const WINDOW = { startAt: T0, endAt: T0 + 2.5 * 3600_000 };

let dir: string;
let clock: ManualClock;
let events: NewEvent[];
let running: { scheduler: Scheduler; record: PlayedRecord }[];

async function make(opts: { cached?: (sha: string) => boolean } = {}) {
  const record = new PlayedRecord(dir, memoryLogger());
  await record.start(clock.now());
  const durations = new Map<string, number>();
  const player = fakePlayer(clock, (id) => durations.get(id) ?? 1000);
  const sink: EventSink = {
    add: async (e) => (events.push({ ...e, at: e.at ?? clock.now() }), { ...e, seq: events.length, at: clock.now() }),
  };
  const scheduler = new Scheduler({
    clock,
    player,
    media: { has: opts.cached ?? (() => true), path: (sha) => `/cache/${sha}` },
    events: sink,
    record,
    log: memoryLogger(),
    gain: (i) => i.volume / 100,
    prepareLeadMs: 2000,
  });
  scheduler.start();
  running.push({ scheduler, record });
  const setPlan = (version: number, items: PlanItem[], extra = {}) => {
    for (const i of items) durations.set(i.id, i.media.durationMs);
    scheduler.setPlan(
      plan(UNIT, version, items, { windows: [WINDOW], issuedAt: T0 - 60_000, expiresAt: T0 + 86_400_000, ...extra }),
    );
  };
  return { scheduler, player, record, setPlan };
}

const types = (id: string) => events.filter((e) => e.itemId === id).map((e) => e.type);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loa-sched-'));
  clock = new ManualClock(T0 - 60_000);
  events = [];
  running = [];
});
afterEach(async () => {
  for (const r of running) {
    await r.scheduler.stop();
    await r.record.stop();
  }
  await rm(dir, { recursive: true, force: true });
});

describe('Scheduler', () => {
  it('prepares an item ahead and starts it at its instant', async () => {
    const { setPlan, player } = await make();
    setPlan(1, [item('a', media(30_000), T0 + 10_000, { volume: 80 })]);
    await clock.advance(70_000);
    expect(player.log.prepared).toEqual([{ itemId: 'a', at: T0 + 8_000 }]);
    expect(player.log.played).toEqual([{ itemId: 'a', startedAt: T0 + 10_000, gain: 0.8 }]);
    await clock.advance(40_000);
    expect(types('a')).toEqual(['started', 'finished']);
    expect(events[1]).toMatchObject({ durationMs: 30_000, planVersion: 1, scheduledAt: T0 + 10_000 });
  });

  it('refuses a relay typed for 03:15 and never prepares nor plays it', async () => {
    const { setPlan, player } = await make();
    const night = T0 - 105 * 60_000 + 86_400_000; // 03:15 the next night
    setPlan(1, [item('relay', media(600_000), night)]);
    await clock.advance(night - clock.now() + 1000);
    expect(types('relay')).toEqual(['refused']);
    expect(events[0]!.reason).toMatch(/^outside every window/);
    expect(player.log.prepared).toEqual([]);
    expect(player.log.played).toEqual([]);
  });

  it('plays an emergency at any hour', async () => {
    const { setPlan, player } = await make();
    setPlan(1, [item('flood', media(5000), T0 - 30_000, { level: 'emergency' })]);
    await clock.advance(31_000);
    expect(player.log.played.map((p) => p.itemId)).toEqual(['flood']);
  });

  it('skips an item past its validUntil, and one whose plan has expired', async () => {
    const { setPlan, player } = await make();
    setPlan(1, [item('old', media(1000), T0 + 1000, { validUntil: T0 + 500 })]);
    await clock.advance(62_000);
    expect(events.find((e) => e.itemId === 'old')).toMatchObject({
      type: 'skipped',
      reason: expect.stringMatching(/^valid until/),
    });
    setPlan(2, [item('late-plan', media(1000), T0 + 10_000)], { expiresAt: T0 + 5000 });
    await clock.advance(10_000);
    expect(events.find((e) => e.itemId === 'late-plan')).toMatchObject({
      type: 'skipped',
      reason: expect.stringMatching(/^plan v2 expired/),
    });
    expect(player.log.played).toEqual([]);
  });

  it('skips an item whose media is not in the cache at its instant', async () => {
    const { setPlan, player } = await make({ cached: () => false });
    setPlan(1, [item('nomedia', media(1000), T0 + 1000)]);
    await clock.advance(62_000);
    expect(types('nomedia')).toEqual(['skipped']);
    expect(player.log.prepared).toEqual([]);
  });

  it('plays items one at a time: an item due while another plays waits its turn', async () => {
    const { setPlan, player } = await make();
    setPlan(1, [item('long', media(20_000), T0 + 1000), item('next', media(1000, 2), T0 + 5000)]);
    await clock.advance(90_000);
    expect(player.log.played.map((p) => [p.itemId, p.startedAt])).toEqual([
      ['long', T0 + 1000],
      ['next', T0 + 21_000],
    ]);
  });

  it('lets an emergency pre-empt an ordinary item at once (rule 4)', async () => {
    const { setPlan, player } = await make();
    setPlan(1, [
      item('talk', media(60_000), T0 + 1000),
      item('storm', media(5000, 2), T0 + 10_000, { level: 'emergency' }),
    ]);
    await clock.advance(75_000);
    expect(events.find((e) => e.type === 'preempted')).toMatchObject({
      itemId: 'talk',
      durationMs: 9000,
      reason: 'pre-empted by emergency storm',
    });
    expect(player.log.played.map((p) => [p.itemId, p.startedAt])).toEqual([
      ['talk', T0 + 1000],
      ['storm', T0 + 10_000],
    ]);
  });

  it('keeps an item playing when the new plan still has it, and stops it when not', async () => {
    const { setPlan } = await make();
    const a = item('a', media(30_000), T0 + 1000);
    setPlan(1, [a]);
    await clock.advance(65_000);
    setPlan(2, [a, item('b', media(1000, 2), T0 + 100_000)]);
    await clock.advance(1000);
    expect(types('a')).toEqual(['started']);
    setPlan(3, [item('b', media(1000, 2), T0 + 100_000)]);
    await clock.advance(10);
    expect(events.find((e) => e.itemId === 'a' && e.type === 'preempted')).toMatchObject({
      reason: 'removed from plan v3',
      planVersion: 1,
    });
  });

  it('does not air late an ordinary item missed by more than ten minutes', async () => {
    clock = new ManualClock(T0 + 30 * 60_000);
    const { setPlan, player } = await make();
    setPlan(1, [item('missed', media(1000), T0 + 60_000), item('recent', media(1000, 2), T0 + 28 * 60_000)]);
    await clock.advance(5000);
    expect(events.find((e) => e.itemId === 'missed')).toMatchObject({
      type: 'skipped',
      reason: 'missed its instant by 1740 s',
    });
    expect(player.log.played.map((p) => p.itemId)).toEqual(['recent']);
  });

  it('never airs an item again after a restart', async () => {
    const first = await make();
    first.setPlan(1, [item('once', media(1000), T0 + 1000)]);
    await clock.advance(61_500);
    await first.scheduler.stop();
    await first.record.stop();
    const second = await make();
    second.setPlan(2, [item('once', media(1000), T0 + 1000)]);
    await clock.advance(5000);
    expect(first.player.log.played.map((p) => p.itemId)).toEqual(['once']);
    expect(second.player.log.played).toEqual([]);
    expect(types('once')).toEqual(['started', 'preempted']);
  });
});
