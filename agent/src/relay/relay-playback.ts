// A relay item (tiếp sóng, issue #8): the agent pulls the station's stream itself (ffmpeg with
// HTTP reconnects) from the item's instant until its slot ends. When the source fails — refused,
// unreachable, or dying mid-programme — it reports a `fault` ("relay source …"), stays silent (it
// never plays anything of its own in the gap: no tone, no noise) and tries again every few seconds
// until the slot ends. The item is `finished` if anything was relayed, `failed` if nothing ever was.
import type { Clock } from '../clock/clock.js';
import type { Playback, PlayOptions, PlayOutcome } from '../player/player.js';

/** Between two attempts at a failed source. */
export const RELAY_RETRY_MS = 2000;
/** An attempt shorter than this is not worth starting (the slot is over). */
const MIN_ATTEMPT_MS = 500;

export interface RelayTarget {
  itemId: string;
  url: string;
  endAt: number;
}

export class RelayPlayback implements Playback {
  private stopReason: string | undefined;
  private current: Playback | undefined;
  private wake: (() => void) | undefined;
  private slotEnded = false;

  constructor(
    private readonly target: RelayTarget,
    /** One attempt: at most `seconds` of the stream, through the player's decoder and sink. */
    private readonly attempt: (seconds: number) => Playback,
    private readonly clock: Clock,
    private readonly retryMs = RELAY_RETRY_MS,
  ) {
    // Started ahead like a file's decoder: connecting to the station takes a moment too.
    const seconds = (target.endAt - clock.now()) / 1000;
    if (seconds * 1000 >= MIN_ATTEMPT_MS) this.current = attempt(seconds);
  }

  get itemId(): string {
    return this.target.itemId;
  }

  stop(reason: string): void {
    if (this.stopReason !== undefined) return;
    this.stopReason = reason;
    this.current?.stop(reason);
    this.wake?.();
  }

  async play({ at, gain, onStarted, onFault }: PlayOptions): Promise<PlayOutcome> {
    const { clock, target } = this;
    const source = `relay source ${redact(target.url)}`;
    let startedAt: number | undefined;
    let durationMs = 0;
    let lastReason = '';
    let failures = 0;
    // The slot ends on the clock, whatever ffmpeg's own count (-t) says after a late start.
    const cancelEnd = clock.setTimer(target.endAt, () => {
      this.slotEnded = true;
      this.current?.stop('the relay slot ended');
      this.wake?.();
    });
    try {
      for (let first = true; !this.slotEnded; first = false) {
        if (this.stopReason !== undefined) return { kind: 'stopped', startedAt, durationMs, reason: this.stopReason };
        const from = first ? Math.max(at, clock.now()) : clock.now();
        const left = target.endAt - from;
        if (left < MIN_ATTEMPT_MS) break;
        const playback = (first && this.current) || this.attempt(left / 1000);
        this.current = playback;
        const outcome = await playback.play({
          at: from,
          gain,
          onStarted: (t) => {
            if (startedAt !== undefined) return;
            startedAt = t;
            onStarted(t);
          },
        });
        durationMs += outcome.durationMs;
        if (this.stopReason !== undefined) return { kind: 'stopped', startedAt, durationMs, reason: this.stopReason };
        if (this.slotEnded) break;
        // The stream ended before the slot did (the station hung up), or never answered.
        const leftNow = target.endAt - clock.now();
        if (outcome.kind === 'finished' && leftNow < MIN_ATTEMPT_MS) break;
        failures++;
        lastReason =
          outcome.kind === 'finished'
            ? `the stream ended ${Math.round(leftNow / 1000)} s before the slot`
            : outcome.reason;
        onFault?.(`${source}: ${lastReason}`.slice(0, 500));
        await this.pause(Math.min(clock.now() + this.retryMs, target.endAt));
      }
    } finally {
      cancelEnd();
    }
    if (startedAt === undefined)
      return {
        kind: 'failed',
        startedAt: undefined,
        durationMs: 0,
        reason: `${source} never answered (${failures} attempts): ${lastReason}`.slice(0, 500),
      };
    return { kind: 'finished', startedAt, durationMs };
  }

  private pause(until: number): Promise<void> {
    if (this.stopReason !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      let cancel = () => {};
      const done = () => {
        cancel();
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      cancel = this.clock.setTimer(until, done);
    });
  }
}

/** A URL as it may appear in events and logs: no password. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.slice(0, 200);
  }
}
