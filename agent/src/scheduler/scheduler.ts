// The scheduler part: plays each plan item at its instant, one at a time, from the local cache, by
// the unit's own clock, with or without a link (rule 6). It prepares the next item's decoder ahead
// of time, decides at the instant (rules 1 and 3, media present), reports every outcome, and holds
// the amplifier from a window's warm-up to its last item (rule 5). Commands (test tone, play-now)
// play through it too, so two sounds never overlap.
import type { PlanBody, PlanItem } from '@loa/shared';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../log.js';
import type { EventSink, NewEvent } from '../events/event-queue.js';
import type { Playback, PlayOutcome, PlayRequest } from '../player/player.js';
import { amplifierWanted, DEFAULT_BRIDGE_MS, DEFAULT_WARMUP_MS } from '../amplifier/warmup.js';
import type { PlayedRecord } from './played-record.js';
import { byInstant, decide } from './rules.js';

export interface SchedulerOptions {
  clock: Clock;
  player: { prepare(req: PlayRequest): Playback };
  media: { has(sha: string): boolean; path(sha: string): string; touch?(sha: string): void };
  events: EventSink;
  record: PlayedRecord;
  log: Logger;
  /** Linear gain 0…1 for an item, from its volume and the unit's volume and mute. */
  gain: (item: PlanItem) => number;
  /** How long before its instant an item's decoder is started. */
  prepareLeadMs?: number;
  amplifier?: {
    hold(reason: string): () => void;
    readonly on: boolean;
    /** Resolves once the relay has switched. */ idle?(): Promise<void>;
  };
  /** Warm-up when the plan names none. */
  warmupMs?: number;
  bridgeMs?: number;
}

interface Current {
  item: PlanItem;
  /** The fields every event of this airing carries. */
  base: NewEvent;
  playback: Playback;
  done: Promise<void>;
  /** Played by a command, not by the plan: any plan item pre-empts it. */
  manual: boolean;
}

export type UrgentOutcome = PlayOutcome['kind'];

/** A sound asked for by a command: a test tone or a cached media. */
export interface ManualPlay {
  item: PlanItem;
  base: NewEvent;
  request: PlayRequest;
  /** Already made by its owner (a live session feeds its own playback); else from `request`. */
  playback?: Playback;
}

/** The decision runs this much before the instant (the played mark is fsync'd meanwhile). */
const DECIDE_EARLY_MS = 150;

export class Scheduler {
  private plan: PlanBody | undefined;
  private current: Current | undefined;
  /** The next item's playback, prepared ahead, keyed by what makes it the same airing. */
  private prepared: { key: string; playback: Playback } | undefined;
  private timers: (() => void)[] = [];
  private running = false;
  private firing = false;
  private releaseAmp: (() => void) | undefined;
  private lastEnd: { item: PlanItem; endedAt: number } | undefined;
  /** Emergencies and live sessions holding the scheduler: no plan item and no command sound meanwhile. */
  private urgent = 0;
  /** Of those, live sessions: an emergency plan item still cuts in (rule 4: live never pre-empts one). */
  private live = 0;

  constructor(private readonly opts: SchedulerOptions) {}

  /** An emergency holds the scheduler (a live session must not start over it). */
  get emergencyOnAir(): boolean {
    return this.urgent - this.live > 0;
  }

  get playing(): string | null {
    return this.current?.base.itemId ?? null;
  }

  start(): void {
    this.running = true;
    this.arm();
  }

  /** Stops the item playing (reported `preempted`, reason agent stopping) and all timers. */
  async stop(): Promise<void> {
    this.running = false;
    this.clearTimers();
    this.prepared?.playback.stop('agent stopping');
    this.prepared = undefined;
    const current = this.current;
    current?.playback.stop('agent stopping');
    await current?.done;
    this.holdAmp(false);
  }

  /** A new verified plan: re-arm; an item playing goes on only if the new plan still has it. */
  setPlan(plan: PlanBody): void {
    this.plan = plan;
    const current = this.current;
    if (current && !current.manual) {
      const still = plan.items.find((i) => i.id === current.item.id);
      if (still) current.item = still;
      else current.playback.stop(`removed from plan v${plan.version}`);
    }
    this.arm();
  }

  /** The `stop` command. Returns false when nothing was playing. */
  stopCurrent(reason: string): boolean {
    if (!this.current) return false;
    this.current.playback.stop(reason);
    return true;
  }

  /** Media just arrived in the cache, or the clock was corrected: re-arm. */
  mediaReady(): void {
    this.arm();
  }

  /** Items neither decided nor playing, in airing order. */
  pending(): PlanItem[] {
    if (!this.plan) return [];
    const { record } = this.opts;
    return this.plan.items
      .map((item, index) => ({ item, index }))
      .filter(({ item }) => !record.has(item.id) && item.id !== this.current?.item.id)
      .sort(byInstant)
      .map(({ item }) => item);
  }

  /** The next plan item that will sound, judged now with the cache as it is. */
  nextToPlay(): PlanItem | undefined {
    const plan = this.plan;
    if (!plan) return undefined;
    const now = this.opts.clock.now();
    return this.pending().find((i) => decide(i, plan, Math.max(now, i.startAt), this.available(i)).kind === 'play');
  }

  /**
   * Plays a command's sound now, after the amplifier's warm-up if it was off. Resolves once the
   * first sample sounded; rejects with the reason when it cannot (something plays, an item is due).
   */
  async playNow(manual: ManualPlay): Promise<void> {
    if (!this.running) throw new Error('the agent is stopping');
    if (this.emergencyOnAir) throw new Error('an emergency is on air');
    if (this.urgent) throw new Error('a live broadcast is on air; try after it');
    if (this.current) throw new Error(`${this.current.base.itemId} is playing; send stop first`);
    const { clock, amplifier } = this.opts;
    const warmup = amplifier && !amplifier.on ? this.warmupMs() : 0;
    const at = clock.now() + warmup;
    const next = this.nextToPlay();
    if (next && next.startAt < at + manual.item.media.durationMs + 1000)
      throw new Error(`item ${next.id} is due at ${new Date(next.startAt).toISOString()}; try after it`);
    const release = amplifier?.hold(manual.base.itemId ?? 'command');
    const playback = this.opts.player.prepare(manual.request);
    const item = { ...manual.item, startAt: at };
    const entry: Current = {
      item,
      base: { ...manual.base, scheduledAt: at },
      playback,
      done: Promise.resolve(),
      manual: true,
    };
    this.current = entry;
    // The warm-up counts from the moment the relay has switched, not from when it was asked to:
    // spawning gpioset on a busy board can take tens of ms.
    let start = at;
    if (warmup > 0 && amplifier?.idle) {
      await amplifier.idle();
      start = Math.max(at, clock.now() + warmup);
      entry.item = { ...item, startAt: start };
      entry.base = { ...entry.base, scheduledAt: start };
    }
    await new Promise<void>((resolve, reject) => {
      entry.done = this.run(entry, start, resolve, reject)
        .then(() => undefined)
        .finally(() => release?.());
    });
  }

  /**
   * Rule 4: an emergency pre-empts whatever plays (a plan item, a command's sound, live, an earlier
   * emergency) and holds the scheduler until released; the plan then resumes at its next item. An
   * item cut here is already marked played, so it is reported `preempted` and never aired again.
   */
  async preempt(reason: string, opts: { live?: boolean } = {}): Promise<() => void> {
    this.urgent++;
    if (opts.live) this.live++;
    const current = this.current;
    current?.playback.stop(reason);
    await current?.done;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.urgent--;
      if (opts.live) this.live--;
      this.arm();
    };
  }

  /** Plays an emergency's sound now, while held by `preempt`; resolves with how it ended. */
  playUrgent(manual: ManualPlay, onStarted: () => void): Promise<UrgentOutcome> {
    if (!this.running) return Promise.reject(new Error('the agent is stopping'));
    if (!this.urgent) return Promise.reject(new Error('playUrgent outside preempt'));
    if (this.current) return Promise.reject(new Error(`${this.current.base.itemId} is playing`));
    const at = this.opts.clock.now();
    const playback = manual.playback ?? this.opts.player.prepare(manual.request);
    const item = { ...manual.item, startAt: at };
    const entry: Current = {
      item,
      base: { ...manual.base, scheduledAt: at },
      playback,
      done: Promise.resolve(),
      manual: true,
    };
    this.current = entry;
    const outcome = this.run(entry, at, onStarted);
    entry.done = outcome.then(() => undefined);
    return outcome;
  }

  private warmupMs(): number {
    return this.plan?.warmupMs ?? this.opts.warmupMs ?? DEFAULT_WARMUP_MS;
  }

  private arm(): void {
    this.clearTimers();
    if (!this.running || !this.plan) return this.holdAmp(false);
    const next = this.pending()[0];
    const key = next && keyOf(next);
    if (this.prepared && this.prepared.key !== key) {
      this.prepared.playback.stop('no longer next');
      this.prepared = undefined;
    }
    this.armAmp();
    if (!next) return;
    const { clock } = this.opts;
    const lead = this.opts.prepareLeadMs ?? 2000;
    if (next.startAt - lead > clock.now()) this.timers.push(clock.setTimer(next.startAt - lead, () => this.arm()));
    else this.prepare(next);
    // Deferred: a timer already due would otherwise fire inside this call.
    this.timers.push(clock.setTimer(next.startAt - DECIDE_EARLY_MS, () => queueMicrotask(() => void this.fire(next))));
  }

  /** Rule 5: on from the warm-up before the next item that will play, off after a window's last. */
  private armAmp(): void {
    if (!this.opts.amplifier) return;
    const wanted = amplifierWanted({
      now: this.opts.clock.now(),
      playing: !!this.current,
      next: this.nextToPlay(),
      last: this.lastEnd,
      windows: this.plan?.windows ?? [],
      warmupMs: this.warmupMs(),
      bridgeMs: this.opts.bridgeMs ?? DEFAULT_BRIDGE_MS,
    });
    this.holdAmp(wanted.on);
    if (!wanted.on && wanted.recheckAt !== undefined)
      this.timers.push(this.opts.clock.setTimer(wanted.recheckAt, () => this.arm()));
  }

  private holdAmp(on: boolean): void {
    if (on && !this.releaseAmp) this.releaseAmp = this.opts.amplifier?.hold('plan');
    if (!on && this.releaseAmp) {
      this.releaseAmp();
      this.releaseAmp = undefined;
    }
  }

  private prepare(item: PlanItem): void {
    const { player, clock } = this.opts;
    if (this.prepared || !this.plan || !this.available(item)) return;
    // An item that will be refused or skipped costs no ffmpeg.
    if (decide(item, this.plan, Math.max(clock.now(), item.startAt), true).kind !== 'play') return;
    this.prepared = { key: keyOf(item), playback: player.prepare(this.request(item)) };
  }

  private async fire(armed: PlanItem): Promise<void> {
    const plan = this.plan;
    if (!this.running || !plan || this.firing || this.opts.record.has(armed.id)) return;
    // Held by an emergency: nothing; held by live: only an emergency item, which cuts the live in.
    if (this.emergencyOnAir || (this.urgent && armed.level !== 'emergency')) return;
    // The plan may have changed since the timer was set: act on the item as it is now.
    const item = plan.items.find((i) => i.id === armed.id && i.startAt === armed.startAt);
    if (!item) return;
    const current = this.current;
    if (current) {
      // Rule 4: an emergency pre-empts at once; any plan item pre-empts a command's sound;
      // anything else waits its turn (arm() after the end).
      const preempts = current.manual || (item.level === 'emergency' && current.item.level !== 'emergency');
      if (!preempts) return;
      this.firing = true;
      let proceed = false;
      try {
        // The decision runs a little early; the item playing keeps sounding until the instant.
        await this.opts.clock.waitUntil(item.startAt);
        if (this.running && this.plan === plan) {
          current.playback.stop(`pre-empted by ${item.level === 'emergency' ? 'emergency' : 'item'} ${item.id}`);
          await current.done;
          proceed = this.running && this.plan === plan;
        }
      } finally {
        this.firing = false;
      }
      // A new plan meanwhile: its own timers may have fired and been ignored while busy here.
      if (!proceed) return this.arm();
    }
    const { clock, media, events, record, log } = this.opts;
    const decision = decide(item, plan, Math.max(clock.now(), item.startAt), this.available(item));
    if (decision.kind !== 'play') {
      void record.mark(item.id, item.startAt, decision.kind);
      if (this.prepared?.key === keyOf(item)) {
        this.prepared.playback.stop(decision.kind);
        this.prepared = undefined;
      }
      await events.add({ ...this.describe(item, plan.version), type: decision.kind, reason: decision.reason });
      this.arm();
      return;
    }
    let playback: Playback;
    if (this.prepared?.key === keyOf(item)) {
      playback = this.prepared.playback;
      this.prepared = undefined;
    } else {
      log.debug(`item ${item.id} was not prepared ahead; starting its decoder now`);
      playback = this.opts.player.prepare(this.request(item));
    }
    const base = this.describe(item, plan.version);
    // Recorded (fsync'd) before the first sample: a crash mid-item must not air it again.
    const marked = record.mark(item.id, item.startAt, 'played', {
      bulletinId: item.bulletinId,
      sha256: item.media.sha256,
      planVersion: plan.version,
    });
    const entry: Current = { item, base, playback, done: Promise.resolve(), manual: false };
    this.current = entry;
    media.touch?.(item.media.sha256);
    // The mark normally lands long before the instant; a card slower than that does not make
    // the item late (punctuality first), it only widens the window a crash could replay it in.
    entry.done = Promise.race([marked, clock.waitUntil(item.startAt)])
      .then(() => this.run(entry, item.startAt))
      .then(() => undefined);
    this.arm();
  }

  private async run(
    entry: Current,
    at: number,
    started?: () => void,
    failed?: (err: Error) => void,
  ): Promise<PlayOutcome['kind']> {
    const { events, log, record } = this.opts;
    let outcome: PlayOutcome;
    try {
      outcome = await entry.playback.play({
        at,
        gain: () => this.opts.gain(entry.item),
        onStarted: (t) => {
          void events.add({ ...entry.base, type: 'started', at: t });
          started?.();
        },
        onFault: (reason) => {
          log.warn(`item ${entry.base.itemId}: ${reason}`);
          void events.add({ ...entry.base, type: 'fault', reason });
        },
      });
    } catch (err) {
      outcome = { kind: 'failed', startedAt: undefined, durationMs: 0, reason: (err as Error).message };
    }
    if (outcome.startedAt === undefined && outcome.kind !== 'finished')
      failed?.(new Error(outcome.kind === 'stopped' ? `stopped before it sounded: ${outcome.reason}` : outcome.reason));
    if (outcome.kind === 'finished') {
      await events.add({ ...entry.base, type: 'finished', durationMs: outcome.durationMs });
    } else {
      const type = outcome.kind === 'stopped' ? 'preempted' : 'failed';
      if (type === 'failed') log.warn(`item ${entry.base.itemId} failed: ${outcome.reason}`);
      await events.add({ ...entry.base, type, durationMs: outcome.durationMs, reason: outcome.reason.slice(0, 500) });
    }
    if (!entry.manual) {
      // After its end event is stored (awaited above); the next item need not wait for the fsync.
      void record.markEnded(entry.item.id);
      this.lastEnd = { item: entry.item, endedAt: this.opts.clock.now() };
    }
    if (this.current === entry) this.current = undefined;
    this.arm();
    return outcome.kind;
  }

  /** Its audio is here: a cached media, or a relay the agent pulls itself (issue #8). */
  private available(item: PlanItem): boolean {
    return item.relay !== undefined || this.opts.media.has(item.media.sha256);
  }

  private request(item: PlanItem): PlayRequest {
    if (item.relay)
      return {
        itemId: item.id,
        sha256: item.media.sha256,
        // The slot ends at its planned end even when it started late (rule 3 caps it too).
        input: {
          kind: 'relay',
          url: item.relay.url,
          endAt: Math.min(item.startAt + item.media.durationMs, item.validUntil),
        },
      };
    return {
      itemId: item.id,
      sha256: item.media.sha256,
      input: { kind: 'file', path: this.opts.media.path(item.media.sha256) },
    };
  }

  private describe(item: PlanItem, planVersion: number): NewEvent {
    return {
      type: 'started',
      itemId: item.id,
      bulletinId: item.bulletinId,
      sha256: item.media.sha256,
      planVersion,
      scheduledAt: item.startAt,
    };
  }

  private clearTimers(): void {
    for (const cancel of this.timers.splice(0)) cancel();
  }
}

function keyOf(item: PlanItem): string {
  return `${item.id}\u0000${item.media.sha256}\u0000${item.startAt}`;
}
