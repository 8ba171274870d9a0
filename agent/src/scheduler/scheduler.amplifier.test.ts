// Rule 5 end to end inside the scheduler, on a manual clock: when the relay goes on and off around
// real plans (warm-up, gaps, refused items, an emergency, a crash).
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
const WINDOW = { startAt: T0, endAt: T0 + 2.5 * 3600_000 };
const media = (ms: number, n = 1) => ({ sha256: n.toString(16).padStart(2, '0').repeat(32), bytes: 1, durationMs: ms });

let dir: string;
let clock: ManualClock;
let events: NewEvent[];
let stops: (() => Promise<void>)[];

/** An amplifier that records its switches at manual-clock time. */
function recordingAmplifier() {
  let holds = 0;
  const switches: { on: boolean; at: number }[] = [];
  const set = (on: boolean) => {
    if ((switches.at(-1)?.on ?? false) !== on) switches.push({ on, at: clock.now() });
  };
  return {
    switches,
    get on() {
      return holds > 0;
    },
    hold() {
      holds++;
      set(true);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        holds--;
        set(holds > 0);
      };
    },
  };
}

async function make(warmupMs = 3000) {
  const record = new PlayedRecord(dir, memoryLogger());
  await record.start(clock.now());
  const durations = new Map<string, number>();
  const player = fakePlayer(clock, (id) => durations.get(id) ?? 1000);
  const sink: EventSink = {
    add: async (e) => (events.push({ ...e, at: e.at ?? clock.now() }), { ...e, seq: events.length, at: clock.now() }),
  };
  const amplifier = recordingAmplifier();
  const scheduler = new Scheduler({
    clock,
    player,
    media: { has: () => true, path: (sha) => `/cache/${sha}` },
    events: sink,
    record,
    log: memoryLogger(),
    gain: () => 1,
    amplifier,
    warmupMs,
  });
  scheduler.start();
  stops.push(async () => {
    await scheduler.stop();
    await record.stop();
  });
  const setPlan = (items: PlanItem[], extra = {}) => {
    for (const i of items) durations.set(i.id, i.media.durationMs);
    scheduler.setPlan(
      plan(UNIT, 1, items, { windows: [WINDOW], issuedAt: T0 - 60_000, expiresAt: T0 + 86_400_000, ...extra }),
    );
  };
  return { scheduler, amplifier, setPlan, player };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loa-amp-sched-'));
  clock = new ManualClock(T0 - 60_000);
  events = [];
  stops = [];
});
afterEach(async () => {
  for (const s of stops) await s();
  await rm(dir, { recursive: true, force: true });
});

describe('the amplifier around a plan (rule 5)', () => {
  it('goes on the warm-up before a window’s first item, stays on through it, off after the last', async () => {
    const { amplifier, setPlan } = await make();
    setPlan([item('a', media(5000), T0 + 10_000), item('b', media(5000, 2), T0 + 15_000)], { warmupMs: 4000 });
    await clock.advance(120_000);
    expect(amplifier.switches).toEqual([
      { on: true, at: T0 + 6000 }, // the plan's warm-up (4 s) wins over the unit's default
      { on: false, at: T0 + 20_000 },
    ]);
  });

  it('goes off in a long gap inside the window and warms up again before the next item', async () => {
    const { amplifier, setPlan } = await make();
    setPlan([item('a', media(5000), T0 + 10_000), item('b', media(5000, 2), T0 + 600_000)]);
    await clock.advance(700_000);
    expect(amplifier.switches).toEqual([
      { on: true, at: T0 + 7000 },
      { on: false, at: T0 + 15_000 },
      { on: true, at: T0 + 597_000 },
      { on: false, at: T0 + 605_000 },
    ]);
  });

  it('never switches on for an item it will refuse (a relay typed for 03:15)', async () => {
    const night = T0 - 105 * 60_000; // 03:15 local, before the 05:00 window
    clock = new ManualClock(night - 60_000);
    const { amplifier, setPlan, player } = await make();
    setPlan([item('relay', media(60_000), night)]);
    await clock.advance(300_000);
    expect(events.find((e) => e.itemId === 'relay')?.type).toBe('refused');
    expect(amplifier.switches).toEqual([]);
    expect(player.log.played).toEqual([]);
  });

  it('warms up before an emergency outside the windows, and goes off after it', async () => {
    const at = WINDOW.endAt + 3600_000;
    clock = new ManualClock(at - 60_000);
    const { amplifier, setPlan } = await make();
    setPlan([item('storm', media(20_000), at, { level: 'emergency' })]);
    await clock.advance(120_000);
    expect(amplifier.switches).toEqual([
      { on: true, at: at - 3000 },
      { on: false, at: at + 20_000 },
    ]);
  });

  it('goes off when the item is stopped and nothing else is due', async () => {
    const { amplifier, setPlan, scheduler } = await make();
    setPlan([item('long', media(600_000), T0 + 10_000)]);
    await clock.advance(75_000);
    expect(amplifier.on).toBe(true);
    scheduler.stopCurrent('stopped by command');
    await clock.advance(10);
    expect(amplifier.switches).toHaveLength(2);
    expect(amplifier.switches[1]!.on).toBe(false);
    expect(amplifier.switches[1]!.at - (T0 + 15_000)).toBeLessThanOrEqual(10);
  });
});
