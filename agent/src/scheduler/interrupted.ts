// After a crash or a power loss (issue 7, `kill -9` mid-item): an item marked played whose end was
// never recorded gets one `failed` event, so the play log does not show it "playing" forever.
// The agent resumes at the next item; the cut item is not aired again (rule: never twice).
import type { EventQueue } from '../events/event-queue.js';
import type { Logger } from '../log.js';
import type { PlayedRecord } from './played-record.js';

const END_TYPES = new Set(['finished', 'preempted', 'failed']);

export const INTERRUPTED_REASON =
  'interrupted: the agent stopped (power loss or crash) while this item was due or playing; not aired again';

export async function reportInterrupted(record: PlayedRecord, events: EventQueue, log: Logger): Promise<number> {
  let reported = 0;
  for (const entry of record.interrupted()) {
    // Its end event may be stored already, the `ended` mark not (a cut between the two writes).
    const stored = events.pending.some((e) => e.itemId === entry.id && END_TYPES.has(e.type));
    if (!stored) {
      await events.add({
        type: 'failed',
        itemId: entry.id,
        bulletinId: entry.bulletinId,
        sha256: entry.sha256,
        planVersion: entry.planVersion,
        scheduledAt: entry.startAt,
        reason: INTERRUPTED_REASON,
      });
      log.warn(`item ${entry.id} was cut by a restart; reported as failed, resuming at the next item`);
      reported++;
    }
    await record.markEnded(entry.id);
  }
  return reported;
}
