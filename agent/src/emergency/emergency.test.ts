// Rule 4 inside the agent, on a manual clock: an emergency pre-empts whatever plays, at its own
// volume, `repeat` times, with the amplifier on, then the plan resumes at its next item; it never
// airs past its validity, waits for its media, and a newer emergency supersedes an older one.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommandBody, PlanItem } from '@loa/shared';
import { ManualClock } from '../clock/manual-clock.js';
import { memoryLogger } from '../log.js';
import type { EventSink, NewEvent } from '../events/event-queue.js';
import { fakePlayer } from '../testing/fake-player.js';
import { item, plan } from '../testing/plans.js';
import { PlayedRecord } from '../scheduler/played-record.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { Emergency, parseEmergencyArgs } from './emergency.js';

const UNIT = 'thon-ha-4';
const T0 = Date.UTC(2026, 0, 5, 22, 0, 0); // 05:00 in Asia/Ho_Chi_Minh
const WINDOW = { startAt: T0, endAt: T0 + 2.5 * 3600_000 };
const SHA = 'ee'.repeat(32);
const EM_MS = 20_000;
const media = (ms: number, n = 1) => ({ sha256: n.toString(16).padStart(2, '0').repeat(32), bytes: 1, durationMs: ms });

let dir: string;
let clock: ManualClock;
let events: NewEvent[];
let stops: (() => Promise<void>)[];

function amplifier() {
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

async function make(opts: { cached?: Set<string>; muted?: boolean } = {}) {
  const record = new PlayedRecord(dir, memoryLogger());
  await record.start(clock.now());
  const durations = new Map<string, number>();
  const player = fakePlayer(clock, (id) => (id.startsWith('emergency:') ? EM_MS : (durations.get(id) ?? 1000)));
  const sink: EventSink = {
    add: async (e) => (events.push({ ...e, at: e.at ?? clock.now() }), { ...e, seq: events.length, at: clock.now() }),
  };
  const amp = amplifier();
  const cached = opts.cached ?? new Set([SHA, media(1).sha256, media(1, 2).sha256]);
  const store = { has: (sha: string) => cached.has(sha), path: (sha: string) => `/cache/${sha}` };
  const scheduler = new Scheduler({
    clock,
    player,
    media: store,
    events: sink,
    record,
    log: memoryLogger(),
    gain: (i) => i.volume / 100,
    amplifier: amp,
    warmupMs: 3000,
  });
  let needsChanged = 0;
  const emergency = new Emergency({
    clock,
    log: memoryLogger(),
    scheduler,
    player,
    amplifier: amp,
    warmupMs: () => 3000,
    media: store,
    needsChanged: () => needsChanged++,
    muted: () => opts.muted ?? false,
  });
  scheduler.start();
  stops.push(async () => {
    emergency.stop();
    await scheduler.stop();
    await record.stop();
  });
  const setPlan = (items: PlanItem[]) => {
    for (const i of items) durations.set(i.id, i.media.durationMs);
    scheduler.setPlan(plan(UNIT, 1, items, { windows: [WINDOW], issuedAt: T0 - 60_000, expiresAt: T0 + 86_400_000 }));
  };
  return { scheduler, emergency, amp, player, setPlan, cached, needs: () => needsChanged };
}

function command(
  args: Partial<Record<string, unknown>> = {},
  id = 'em-1',
): { args: Record<string, unknown>; cmd: CommandBody } {
  const validUntil = clock.now() + 300_000;
  const full = {
    emergencyId: id,
    sha256: SHA,
    bytes: 1000,
    durationMs: EM_MS,
    repeat: 2,
    volume: 80,
    validUntil,
    ...args,
  };
  return {
    args: full,
    cmd: { unit: UNIT, id: `cmd-${id}`, type: 'emergency', args: full, issuedAt: clock.now(), expiresAt: validUntil },
  };
}

const typesOf = (itemId: string) => events.filter((e) => e.itemId === itemId).map((e) => e.type);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loa-emergency-'));
  clock = new ManualClock(T0 - 60_000);
  events = [];
  stops = [];
});
afterEach(async () => {
  for (const s of stops) await s();
  await rm(dir, { recursive: true, force: true });
});

describe('an emergency on the board (rule 4)', () => {
  it('pre-empts the item playing, airs repeat times at its own volume, then the plan resumes at the next item', async () => {
    const { emergency, player, setPlan, amp } = await make();
    setPlan([item('news', media(600_000), T0 + 10_000), item('after', media(5000, 2), T0 + 120_000)]);
    await clock.advance(70_000 + 20_000); // news has sounded 20 s
    expect(typesOf('news')).toEqual(['started']);
    const { args, cmd } = command({ repeat: 2, volume: 80 });
    const started = emergency.run(args, cmd);
    await clock.advance(10);
    await started;
    const at = clock.now();
    // The amplifier was already on for the news: no warm-up, at once.
    expect(typesOf('news')).toEqual(['started', 'preempted']);
    expect(events.find((e) => e.itemId === 'news' && e.type === 'preempted')?.reason).toBe(
      'pre-empted by emergency em-1',
    );
    await clock.advance(2 * EM_MS + 100);
    expect(typesOf('emergency:em-1:1')).toEqual(['started', 'finished']);
    expect(typesOf('emergency:em-1:2')).toEqual(['started', 'finished']);
    const played = player.log.played.filter((p) => p.itemId.startsWith('emergency:'));
    expect(played.map((p) => [p.itemId, p.startedAt - at, p.gain])).toEqual([
      ['emergency:em-1:1', 0, 0.8],
      ['emergency:em-1:2', EM_MS, 0.8],
    ]);
    // The cut item is never aired again; the plan goes on with its next item at its instant.
    await clock.advance(120_000);
    expect(typesOf('news')).toEqual(['started', 'preempted']);
    expect(player.log.played.find((p) => p.itemId === 'after')?.startedAt).toBe(T0 + 120_000);
    expect(amp.switches[0]).toMatchObject({ on: true });
  });

  it('stops early when the server says so: no more repeats, and the plan resumes', async () => {
    const { emergency, player, setPlan, amp } = await make();
    setPlan([item('after', media(5000, 2), T0 + 120_000)]);
    await clock.advance(70_000);
    const { args, cmd } = command({ repeat: 3 });
    const started = emergency.run(args, cmd);
    await clock.advance(0);
    await clock.advance(3000); // the amplifier was cold: its warm-up first
    await started;
    await clock.advance(5000);
    emergency.cancel('em-1');
    await clock.advance(10);
    expect(typesOf('emergency:em-1:1')).toEqual(['started', 'preempted']);
    expect(events.find((e) => e.itemId === 'emergency:em-1:1' && e.type === 'preempted')?.reason).toBe(
      'emergency em-1 stopped by the server',
    );
    await clock.advance(3 * EM_MS);
    expect(typesOf('emergency:em-1:2')).toEqual([]);
    await emergency.idle();
    expect(amp.on).toBe(false);
    await clock.advance(120_000);
    expect(player.log.played.find((p) => p.itemId === 'after')?.startedAt).toBe(T0 + 120_000);
    // A stop for another emergency leaves this one alone; a stopped one is refused if it comes again.
    emergency.cancel('em-khac');
    await expect(emergency.run(args, cmd)).rejects.toThrow('emergency em-1 was stopped by the server');
  });

  it('airs outside every window, after the amplifier’s warm-up, and switches it off after', async () => {
    const at = WINDOW.endAt + 3600_000;
    clock = new ManualClock(at);
    const { emergency, setPlan, amp } = await make();
    setPlan([]);
    const { args, cmd } = command({ repeat: 1 });
    const started = emergency.run(args, cmd);
    await clock.advance(0);
    await clock.advance(3000);
    await started;
    await clock.advance(EM_MS + 10);
    expect(typesOf('emergency:em-1:1')).toEqual(['started', 'finished']);
    expect(events.find((e) => e.type === 'started')?.at).toBe(at + 3000);
    expect(amp.switches).toEqual([
      { on: true, at },
      { on: false, at: at + 3000 + EM_MS },
    ]);
  });

  it('refuses one past its validity, and one on a muted unit, with a reason and no sound', async () => {
    const { emergency, player } = await make();
    const old = command({ validUntil: clock.now() - 1 });
    await expect(emergency.run(old.args, old.cmd)).rejects.toThrow(/was valid until/);
    const m = await make({ muted: true });
    const c = command();
    await expect(m.emergency.run(c.args, c.cmd)).rejects.toThrow(/muted/);
    expect(player.log.played).toEqual([]);
    expect(m.player.log.played).toEqual([]);
  });

  it('refuses bad arguments', () => {
    expect(() => parseEmergencyArgs({ ...command().args, repeat: 0 })).toThrow(/repeat/);
    expect(() => parseEmergencyArgs({ ...command().args, volume: 101 })).toThrow(/volume/);
    expect(() => parseEmergencyArgs({ ...command().args, sha256: 'x' })).toThrow(/sha256/);
  });

  it('fetches its media first, and gives up when the validity ends before it arrives', async () => {
    const cached = new Set<string>();
    const { emergency, player, needs } = await make({ cached });
    const a = command({ repeat: 1 });
    const started = emergency.run(a.args, a.cmd);
    await clock.advance(10);
    expect(emergency.wanted().map((m) => m.sha256)).toEqual([SHA]);
    expect(needs()).toBe(1);
    cached.add(SHA);
    emergency.mediaReady(SHA);
    await clock.advance(0);
    await clock.advance(3000);
    await started;
    expect(emergency.wanted()).toEqual([]);
    await clock.advance(EM_MS);

    const other = 'dd'.repeat(32);
    const b = command({ sha256: other, validUntil: clock.now() + 30_000 }, 'em-2');
    const late = emergency.run(b.args, b.cmd);
    const caught = late.catch((err: Error) => err);
    await clock.advance(31_000);
    expect(((await caught) as Error).message).toMatch(/did not arrive before the emergency's validity ended/);
    expect(player.log.played.map((p) => p.itemId)).toEqual(['emergency:em-1:1']);
  });

  it('a newer emergency cuts the older one, whose remaining repeats never air; command sounds wait', async () => {
    const { emergency, player, scheduler, setPlan } = await make();
    setPlan([]);
    const a = command({ repeat: 3 }, 'em-a');
    const first = emergency.run(a.args, a.cmd);
    await clock.advance(0);
    await clock.advance(3000);
    await first;
    await clock.advance(5000);
    await expect(
      scheduler.playNow({
        item: item('cmd:x', media(1000), clock.now()),
        base: { type: 'started', itemId: 'cmd:x' },
        request: { itemId: 'cmd:x', sha256: 'test-tone', input: { kind: 'tone', seconds: 1, frequency: 1000 } },
      }),
    ).rejects.toThrow(/emergency is on air/);
    const b = command({ repeat: 1 }, 'em-b');
    const second = emergency.run(b.args, b.cmd);
    await clock.advance(10);
    await second;
    await clock.advance(4 * EM_MS);
    expect(typesOf('emergency:em-a:1')).toEqual(['started', 'preempted']);
    expect(typesOf('emergency:em-a:2')).toEqual([]);
    expect(typesOf('emergency:em-b:1')).toEqual(['started', 'finished']);
    expect(player.log.played.map((p) => p.itemId)).toEqual(['emergency:em-a:1', 'emergency:em-b:1']);
  });
});
