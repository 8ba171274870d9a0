// The emergency part (issue #8, DESIGN §5 rule 4): a signed `emergency` command airs its media at
// once — outside windows too — pre-empting whatever plays, at its own volume, `repeat` times back
// to back; the plan then resumes at its next item. It never airs after its `validUntil`: a unit
// that was offline gets it late only while the warning still holds (the command expires with it).
import { isSha256, type CommandBody, type MediaRef, type PlanItem } from '@loa/shared';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../log.js';
import type { Playback, PlayRequest } from '../player/player.js';
import type { ManualPlay, UrgentOutcome } from '../scheduler/scheduler.js';

export interface EmergencyArgs {
  emergencyId: string;
  sha256: string;
  bytes: number;
  durationMs: number;
  repeat: number;
  volume: number;
  validUntil: number;
}

export interface EmergencyOptions {
  clock: Clock;
  log: Logger;
  scheduler: {
    preempt(reason: string): Promise<() => void>;
    playUrgent(manual: ManualPlay, onStarted: () => void): Promise<UrgentOutcome>;
    readonly playing: string | null;
    stopCurrent(reason: string): boolean;
  };
  /** Makes the next repeat's decoder while the current one plays, so repeats follow back to back. */
  player?: { prepare(req: PlayRequest): Playback };
  /** `idle` resolves once the relay has switched (spawning gpioset on a busy board takes a while). */
  amplifier?: { hold(reason: string): () => void; readonly on: boolean; idle?(): Promise<void> };
  warmupMs: () => number;
  media: { has(sha: string): boolean; path(sha: string): string };
  /** The media to fetch changed (`wanted()`): fetch them now. */
  needsChanged: () => void;
  muted: () => boolean;
}

const MAX_REPEAT = 10;

/** Checks a command's arguments; throws a sentence for the ack. */
export function parseEmergencyArgs(args: Record<string, unknown>): EmergencyArgs {
  const int = (k: string, min: number, max: number) => {
    const v = args[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw new Error(`args.${k} must be an integer ${min}–${max}`);
    return v;
  };
  const id = args.emergencyId;
  if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new Error('args.emergencyId is missing');
  const sha = args.sha256;
  if (typeof sha !== 'string' || !isSha256(sha)) throw new Error('args.sha256 must be a SHA-256 in hex');
  return {
    emergencyId: id,
    sha256: sha,
    bytes: int('bytes', 1, Number.MAX_SAFE_INTEGER),
    durationMs: int('durationMs', 1, 24 * 3600_000),
    repeat: int('repeat', 1, MAX_REPEAT),
    volume: int('volume', 0, 100),
    validUntil: int('validUntil', 0, Number.MAX_SAFE_INTEGER),
  };
}

export class Emergency {
  /** Bumped by every emergency: an older one stops before its next repeat. */
  private generation = 0;
  private waiting = new Map<string, { ref: MediaRef; wake: Set<() => void> }>();
  private airing: Promise<void> | undefined;
  /** The emergency under way (waiting for media, warming up or airing) and its generation. */
  private running: { id: string; generation: number } | undefined;
  /** Stopped by the server: never aired, even if its command arrives after the stop. */
  private readonly cancelled = new Set<string>();

  constructor(private readonly opts: EmergencyOptions) {}

  /** Media an emergency waits for, to fetch before anything the plan needs. */
  wanted(): MediaRef[] {
    return [...this.waiting.values()].map((w) => w.ref);
  }

  /** The fetcher stored a media. */
  mediaReady(sha: string): void {
    const w = this.waiting.get(sha);
    if (w) for (const wake of [...w.wake]) wake();
  }

  /**
   * The server stopped this emergency early (a `stop` naming it): nothing more of it sounds, not its
   * remaining repeats, and the plan resumes. Another emergency, or none, is left alone.
   */
  cancel(emergencyId: string): void {
    this.cancelled.add(emergencyId);
    if (this.running?.id !== emergencyId || this.running.generation !== this.generation) return;
    this.generation++;
    for (const w of this.waiting.values()) for (const wake of [...w.wake]) wake();
    if (this.opts.scheduler.playing?.startsWith(`emergency:${emergencyId}:`))
      this.opts.scheduler.stopCurrent(`emergency ${emergencyId} stopped by the server`);
  }

  /** Agent stopping: no further repeat, no more waiting for media (the scheduler stops the sound). */
  stop(): void {
    this.generation++;
    for (const w of this.waiting.values()) for (const wake of [...w.wake]) wake();
  }

  /** The airing under way, if any (tests). */
  idle(): Promise<void> {
    return this.airing ?? Promise.resolve();
  }

  /** The `emergency` command: resolves once its first sample sounded, rejects with why it cannot. */
  async run(rawArgs: Record<string, unknown>, cmd: CommandBody): Promise<void> {
    const { clock, log, scheduler, media } = this.opts;
    const args = parseEmergencyArgs(rawArgs);
    const validUntil = Math.min(args.validUntil, cmd.expiresAt);
    if (clock.now() >= validUntil)
      throw new Error(`emergency ${args.emergencyId} was valid until ${new Date(validUntil).toISOString()}`);
    // Mute is how a technician silences a broken cluster; it wins even here (unit-state gain).
    if (this.opts.muted()) throw new Error('the unit is muted; unmute it first');
    if (this.cancelled.has(args.emergencyId))
      throw new Error(`emergency ${args.emergencyId} was stopped by the server`);
    const generation = ++this.generation;
    this.running = { id: args.emergencyId, generation };
    if (!media.has(args.sha256)) await this.fetch(args, validUntil, generation);
    if (generation !== this.generation) throw new Error('superseded by a newer emergency');
    log.warn(`emergency ${args.emergencyId}: pre-empting whatever plays, ${args.repeat}× at volume ${args.volume}`);
    // Rule 5 still holds: a cold amplifier would swallow the warning's first words. Held before
    // the cut, so the relay does not drop between the item cut and the emergency.
    const cold = this.opts.amplifier ? !this.opts.amplifier.on : false;
    const releaseAmp = this.opts.amplifier?.hold(`emergency ${args.emergencyId}`);
    const release = await scheduler.preempt(`pre-empted by emergency ${args.emergencyId}`);
    let started!: () => void;
    let failed!: (err: Error) => void;
    const first = new Promise<void>((resolve, reject) => {
      started = resolve;
      failed = reject;
    });
    const airing = this.air(args, validUntil, generation, cold, started, failed).finally(() => {
      releaseAmp?.();
      release();
    });
    this.airing = airing.catch(() => undefined);
    // Whatever ended the airing before a first sample: the ack says so.
    void airing.then(
      () => failed(new Error(`emergency ${args.emergencyId} ended before it sounded`)),
      (err: Error) => failed(err),
    );
    return first;
  }

  private async air(
    args: EmergencyArgs,
    validUntil: number,
    generation: number,
    cold: boolean,
    started: () => void,
    failed: (err: Error) => void,
  ): Promise<void> {
    const { clock, scheduler, media } = this.opts;
    if (cold) {
      // The warm-up counts from the moment the relay has switched, as for a command's sound.
      await this.opts.amplifier?.idle?.();
      await clock.waitUntil(clock.now() + this.opts.warmupMs());
    }
    const request = (n: number): PlayRequest => ({
      itemId: `emergency:${args.emergencyId}:${n}`,
      sha256: args.sha256,
      input: { kind: 'file', path: media.path(args.sha256) },
    });
    // The next repeat's decoder is started once this one sounds, not at its end: back to back.
    let next: Playback | undefined;
    try {
      for (let n = 1; n <= args.repeat; n++) {
        if (generation !== this.generation) return;
        if (clock.now() >= validUntil) return;
        const item: PlanItem = {
          id: `emergency:${args.emergencyId}:${n}`,
          bulletinId: 'emergency',
          level: 'emergency',
          media: { sha256: args.sha256, bytes: args.bytes, durationMs: args.durationMs },
          startAt: clock.now(),
          validUntil,
          volume: args.volume,
        };
        const playback = next;
        next = undefined;
        let outcome: UrgentOutcome;
        try {
          outcome = await scheduler.playUrgent(
            {
              item,
              base: { type: 'started', itemId: item.id, sha256: args.sha256, reason: `emergency ${n}/${args.repeat}` },
              request: request(n),
              ...(playback ? { playback } : {}),
            },
            () => {
              started();
              if (n < args.repeat) next = this.opts.player?.prepare(request(n + 1));
            },
          );
        } catch (err) {
          failed(err as Error);
          return;
        }
        if (outcome !== 'finished') return;
      }
    } finally {
      next?.stop('emergency ended');
    }
  }

  private async fetch(args: EmergencyArgs, validUntil: number, generation: number): Promise<void> {
    const { clock, media, log } = this.opts;
    const sha = args.sha256;
    log.info(`emergency ${args.emergencyId}: media ${sha.slice(0, 12)} is not cached; fetching it`);
    let w = this.waiting.get(sha);
    if (!w) {
      w = { ref: { sha256: sha, bytes: args.bytes, durationMs: args.durationMs }, wake: new Set() };
      this.waiting.set(sha, w);
      this.opts.needsChanged();
    }
    const entry = w;
    try {
      while (!media.has(sha) && generation === this.generation && clock.now() < validUntil) {
        await new Promise<void>((resolve) => {
          let cancel = () => {};
          const wake = () => {
            cancel();
            entry.wake.delete(wake);
            resolve();
          };
          entry.wake.add(wake);
          cancel = clock.setTimer(validUntil, wake);
        });
      }
    } finally {
      if (!entry.wake.size) {
        this.waiting.delete(sha);
        this.opts.needsChanged();
      }
    }
    if (!media.has(sha)) {
      if (generation !== this.generation) throw new Error('superseded by a newer emergency');
      throw new Error(`media ${sha.slice(0, 12)} did not arrive before the emergency's validity ended`);
    }
  }
}
