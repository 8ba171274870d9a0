// The scheduler part: plays each plan item at its instant, one at a time, from the local cache, by
// the unit's own clock, with or without a link (rule 6). It prepares the next item's decoder ahead
// of time, decides at the instant (rules 1 and 3, media present), and reports every outcome.
import type { PlanBody, PlanItem } from '@loa/shared';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../log.js';
import type { EventSink, NewEvent } from '../events/event-queue.js';
import type { Playback, PlayOutcome, PlayRequest } from '../player/player.js';
import type { PlayedRecord } from './played-record.js';
import { byInstant, decide } from './rules.js';

export interface SchedulerOptions {
  clock: Clock;
  player: { prepare(req: PlayRequest): Playback };
  media: { has(sha: string): boolean; path(sha: string): string };
  events: EventSink;
  record: PlayedRecord;
  log: Logger;
  /** Linear gain 0…1 for an item, from its volume and the unit's volume and mute. */
  gain: (item: PlanItem) => number;
  /** How long before its instant an item's decoder is started. */
  prepareLeadMs?: number;
}

interface Current {
  item: PlanItem;
  planVersion: number;
  playback: Playback;
  done: Promise<void>;
}

/** The decision runs this much before the instant; the player then waits for the exact ms. */
const DECIDE_EARLY_MS = 50;

export class Scheduler {
  private plan: PlanBody | undefined;
  private current: Current | undefined;
  /** The next item's playback, prepared ahead, keyed by what makes it the same airing. */
  private prepared: { key: string; playback: Playback } | undefined;
  private timers: (() => void)[] = [];
  private running = false;
  private firing = false;

  constructor(private readonly opts: SchedulerOptions) {}

  get playing(): string | null {
    return this.current?.item.id ?? null;
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
  }

  /** A new verified plan: re-arm; an item playing goes on only if the new plan still has it. */
  setPlan(plan: PlanBody): void {
    this.plan = plan;
    const current = this.current;
    if (current) {
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

  /** Media just arrived in the cache: the next item may now be prepared. */
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

  private arm(): void {
    this.clearTimers();
    if (!this.running || !this.plan) return;
    const next = this.pending()[0];
    const key = next && keyOf(next);
    if (this.prepared && this.prepared.key !== key) {
      this.prepared.playback.stop('no longer next');
      this.prepared = undefined;
    }
    if (!next) return;
    const { clock } = this.opts;
    const lead = this.opts.prepareLeadMs ?? 2000;
    if (next.startAt - lead > clock.now()) this.timers.push(clock.setTimer(next.startAt - lead, () => this.arm()));
    else this.prepare(next);
    // Deferred: a timer already due would otherwise fire inside this call.
    this.timers.push(clock.setTimer(next.startAt - DECIDE_EARLY_MS, () => queueMicrotask(() => void this.fire(next))));
  }

  private prepare(item: PlanItem): void {
    const { media, player, clock } = this.opts;
    if (this.prepared || !this.plan || !media.has(item.media.sha256)) return;
    // An item that will be refused or skipped costs no ffmpeg.
    if (decide(item, this.plan, Math.max(clock.now(), item.startAt), true).kind !== 'play') return;
    this.prepared = { key: keyOf(item), playback: player.prepare(this.request(item)) };
  }

  private async fire(armed: PlanItem): Promise<void> {
    const plan = this.plan;
    if (!this.running || !plan || this.firing || this.opts.record.has(armed.id)) return;
    // The plan may have changed since the timer was set: act on the item as it is now.
    const item = plan.items.find((i) => i.id === armed.id && i.startAt === armed.startAt);
    if (!item) return;
    const current = this.current;
    if (current) {
      // Rule 4: an emergency pre-empts at once; anything else waits its turn (arm() after the end).
      if (item.level !== 'emergency' || current.item.level === 'emergency') return;
      this.firing = true;
      let proceed = false;
      try {
        // The decision runs a little early; the item playing keeps sounding until the instant.
        await this.opts.clock.waitUntil(item.startAt);
        if (this.running && this.plan === plan) {
          current.playback.stop(`pre-empted by emergency ${item.id}`);
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
    const decision = decide(item, plan, Math.max(clock.now(), item.startAt), media.has(item.media.sha256));
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
    // Recorded before the first sample: a crash mid-item must not air it again after a restart.
    void record.mark(item.id, item.startAt, 'played');
    const entry: Current = { item, planVersion: plan.version, playback, done: Promise.resolve() };
    this.current = entry;
    entry.done = this.run(entry);
    this.arm();
  }

  private async run(entry: Current): Promise<void> {
    const { events, log } = this.opts;
    const base = () => this.describe(entry.item, entry.planVersion);
    let outcome: PlayOutcome;
    try {
      outcome = await entry.playback.play({
        at: entry.item.startAt,
        gain: () => this.opts.gain(entry.item),
        onStarted: (at) => void events.add({ ...base(), type: 'started', at }),
      });
    } catch (err) {
      outcome = { kind: 'failed', startedAt: undefined, durationMs: 0, reason: (err as Error).message };
    }
    if (outcome.kind === 'finished') {
      await events.add({ ...base(), type: 'finished', durationMs: outcome.durationMs });
    } else {
      const type = outcome.kind === 'stopped' ? 'preempted' : 'failed';
      if (type === 'failed') log.warn(`item ${entry.item.id} failed: ${outcome.reason}`);
      await events.add({ ...base(), type, durationMs: outcome.durationMs, reason: outcome.reason.slice(0, 500) });
    }
    if (this.current === entry) this.current = undefined;
    this.arm();
  }

  private request(item: PlanItem): PlayRequest {
    return { itemId: item.id, sha256: item.media.sha256, file: this.opts.media.path(item.media.sha256) };
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
