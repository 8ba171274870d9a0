// The live part (issue #8, DESIGN §5): a signed `live-start` command names a session, its key and
// its stream's header pages. The unit subscribes to `live/{session}`, pre-empts whatever planned
// item plays (never an emergency: while one is on air live-start is refused, and an emergency that
// comes during live cuts it off), switches the amplifier on and plays what arrives. Only frames
// with the session's HMAC and a rising sequence number are played (DESIGN §7): a stolen broker
// password cannot speak through the loudspeakers. It releases on `live-stop`, when frames stop
// for the session's idle time, or when a newer session replaces it.
import { topics, type CommandBody, type PlanItem, type PlanWindow } from '@loa/shared';
import { liveFrameReceiver, LIVE_KEY_BYTES } from '@loa/shared/live-frame';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../log.js';
import type { ManualPlay, UrgentOutcome } from '../scheduler/scheduler.js';
import type { MessageHandler } from '../mqtt/link.js';
import type { LivePlayback, LivePlaybackOptions } from './live-playback.js';

export interface LiveArgs {
  sessionId: string;
  /** An emergency live (rule 4) sounds outside windows and is not cut by planned items. */
  level: 'normal' | 'emergency';
  key: string;
  head: Buffer;
  volume: number;
  idleMs: number;
}

export interface LiveOptions {
  clock: Clock;
  log: Logger;
  link: { subscribe(filter: string, handler: MessageHandler): void; unsubscribe(filter: string): void };
  scheduler: {
    readonly emergencyOnAir: boolean;
    preempt(reason: string, opts: { live: boolean }): Promise<() => void>;
    playUrgent(manual: ManualPlay, onStarted: () => void): Promise<UrgentOutcome>;
  };
  player: { prepareLive(opts: Pick<LivePlaybackOptions, 'itemId' | 'head' | 'idleMs'>): LivePlayback };
  amplifier?: { hold(reason: string): () => void; readonly on: boolean; idle?(): Promise<void> };
  warmupMs: () => number;
  muted: () => boolean;
  /** The plan held, for rule 1: a normal live sounds only inside one of its windows. */
  plan: () => { windows: PlanWindow[] } | undefined;
}

const SESSION = /^[A-Za-z0-9-]{1,64}$/;
/** The header pages are two small pages; anything bigger is not what the server sends. */
const MAX_HEAD_BYTES = 4096;

/** Checks a command's arguments; throws a sentence for the ack. */
export function parseLiveArgs(args: Record<string, unknown>): LiveArgs {
  const { sessionId, key, head, volume, idleMs, level = 'normal' } = args;
  if (level !== 'normal' && level !== 'emergency') throw new Error('args.level must be normal or emergency');
  if (typeof sessionId !== 'string' || !SESSION.test(sessionId)) throw new Error('args.sessionId is missing');
  if (typeof key !== 'string' || Buffer.from(key, 'base64').length !== LIVE_KEY_BYTES)
    throw new Error(`args.key must be ${LIVE_KEY_BYTES} bytes in base64`);
  const headBytes = typeof head === 'string' ? Buffer.from(head, 'base64') : Buffer.alloc(0);
  if (headBytes.length < 28 || headBytes.length > MAX_HEAD_BYTES || headBytes.toString('latin1', 0, 4) !== 'OggS')
    throw new Error('args.head must be the stream’s Ogg header pages in base64');
  if (typeof volume !== 'number' || !Number.isInteger(volume) || volume < 0 || volume > 100)
    throw new Error('args.volume must be an integer 0–100');
  const idle = idleMs ?? 5000;
  if (typeof idle !== 'number' || !Number.isInteger(idle) || idle < 500 || idle > 60_000)
    throw new Error('args.idleMs must be an integer 500–60000');
  return { sessionId, level, key, head: headBytes, volume, idleMs: idle };
}

interface Running {
  sessionId: string;
  playback: LivePlayback;
  done: Promise<void>;
}

export class Live {
  private current: Running | undefined;
  private rejected = 0;
  private lastRejectLog = 0;

  constructor(private readonly opts: LiveOptions) {}

  /** The session playing, if any. */
  get session(): string | undefined {
    return this.current?.sessionId;
  }

  /** Frames dropped as not authentic (forged, replayed, damaged) since the agent started. */
  get framesDropped(): number {
    return this.rejected;
  }

  /** The `live-start` command: resolves once the unit listens to the session (its ack says so). */
  async start(rawArgs: Record<string, unknown>, cmd: CommandBody): Promise<void> {
    const { clock, log, link, scheduler, amplifier, player } = this.opts;
    const args = parseLiveArgs(rawArgs);
    if (this.current?.sessionId === args.sessionId) return; // the same command again
    if (this.opts.muted()) throw new Error('the unit is muted; unmute it first');
    const emergency = args.level === 'emergency';
    if (!emergency) {
      if (scheduler.emergencyOnAir) throw new Error('an emergency is on air; live may start once it has ended');
      const now = clock.now();
      if (!(this.opts.plan()?.windows ?? []).some((w) => w.startAt <= now && now < w.endAt))
        throw new Error(
          'outside every broadcast window of the plan held (rule 1); only an emergency live may sound now',
        );
    }
    if (this.current) await this.end(`replaced by live session ${args.sessionId}`);

    const itemId = `live:${args.sessionId}`;
    const topic = topics.live(args.sessionId);
    const receiver = liveFrameReceiver(args.key, args.sessionId);
    const playback = player.prepareLive({ itemId, head: args.head, idleMs: args.idleMs });
    if (playback.unplayable) throw new Error(playback.unplayable);
    const cold = amplifier ? !amplifier.on : false;
    // Held before the cut, so the relay does not drop between the planned item and the voice.
    const releaseAmp = amplifier?.hold(itemId);
    // A normal live lets an emergency cut in; an emergency live holds like an emergency does.
    const release = await scheduler.preempt(`pre-empted by live session ${args.sessionId}`, { live: !emergency });
    link.subscribe(topic, (_t, payload) => {
      const frame = receiver.accept(payload);
      if (frame.ok) return playback.push(frame.audio);
      this.rejected++;
      const now = clock.now();
      if (now - this.lastRejectLog > 10_000) {
        this.lastRejectLog = now;
        log.warn(`${itemId}: dropped a frame (${frame.error}); ${this.rejected} dropped so far`);
      }
    });
    if (cold) await amplifier?.idle?.();
    const at = clock.now() + (cold ? this.opts.warmupMs() : 0);
    const item: PlanItem = {
      id: itemId,
      bulletinId: 'live',
      level: emergency ? 'emergency' : 'priority',
      media: { sha256: '0'.repeat(64), bytes: 1, durationMs: 1 },
      startAt: at,
      validUntil: cmd.expiresAt + 24 * 3600_000,
      volume: args.volume,
    };
    const outcome = scheduler.playUrgent(
      {
        item,
        base: { type: 'started', itemId, reason: `${emergency ? 'emergency ' : ''}live session ${args.sessionId}` },
        request: { itemId, sha256: 'live', input: { kind: 'tone', seconds: 1, frequency: 0 } },
        playback,
      },
      () => log.info(`${itemId}: on air`),
    );
    const running: Running = {
      sessionId: args.sessionId,
      playback,
      done: outcome
        .then(
          (kind) => log.info(`${itemId}: ${kind}`),
          (err: Error) => log.warn(`${itemId}: ${err.message}`),
        )
        .finally(() => {
          link.unsubscribe(topic);
          releaseAmp?.();
          release();
          if (this.current === running) this.current = undefined;
        }),
    };
    this.current = running;
    log.warn(`${itemId}: live at volume ${args.volume}, pre-empting planned items`);
  }

  /** The `live-stop` command: ends that session here; another or none is not an error. */
  async stop(rawArgs: Record<string, unknown>): Promise<void> {
    const id = rawArgs.sessionId;
    if (typeof id !== 'string' || !SESSION.test(id)) throw new Error('args.sessionId is missing');
    if (this.current?.sessionId === id) await this.end('stopped by the server');
  }

  /** Agent stopping. */
  async shutdown(): Promise<void> {
    const current = this.current;
    current?.playback.stop('agent stopping');
    await current?.done;
  }

  private async end(reason: string): Promise<void> {
    const current = this.current;
    current?.playback.end(reason);
    await current?.done;
  }
}
