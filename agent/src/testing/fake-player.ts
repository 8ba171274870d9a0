// Test driver of the player for scheduler tests on a ManualClock: an item "sounds" from its
// instant for its duration in manual time, and records when it was prepared and played.
import type { Clock } from '../clock/clock.js';
import type { Playback, PlayOptions, PlayOutcome, PlayRequest } from '../player/player.js';

export interface FakeLog {
  prepared: { itemId: string; at: number }[];
  played: { itemId: string; startedAt: number; gain: number }[];
}

export function fakePlayer(
  clock: Clock,
  durationOf: (itemId: string) => number,
): { prepare(req: PlayRequest): Playback; log: FakeLog } {
  const log: FakeLog = { prepared: [], played: [] };
  return {
    log,
    prepare(req) {
      log.prepared.push({ itemId: req.itemId, at: clock.now() });
      let stopReason: string | undefined;
      let wake: (() => void) | undefined;
      return {
        itemId: req.itemId,
        stop(reason) {
          stopReason ??= reason;
          wake?.();
        },
        async play({ at, gain, onStarted }: PlayOptions): Promise<PlayOutcome> {
          await clock.waitUntil(at);
          if (stopReason) return { kind: 'stopped', startedAt: undefined, durationMs: 0, reason: stopReason };
          const startedAt = clock.now();
          log.played.push({ itemId: req.itemId, startedAt, gain: gain() });
          onStarted(startedAt);
          const end = startedAt + durationOf(req.itemId);
          await new Promise<void>((resolve) => {
            wake = resolve;
            clock.setTimer(end, resolve);
          });
          const durationMs = clock.now() - startedAt;
          if (stopReason) return { kind: 'stopped', startedAt, durationMs, reason: stopReason };
          return { kind: 'finished', startedAt, durationMs };
        },
      };
    },
  };
}
