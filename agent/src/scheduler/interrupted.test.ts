import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../clock/clock.js';
import { memoryLogger } from '../log.js';
import { EventQueue } from '../events/event-queue.js';
import { PlayedRecord } from './played-record.js';
import { INTERRUPTED_REASON, reportInterrupted } from './interrupted.js';

let dir: string;
const now = Date.now();

async function open() {
  const record = new PlayedRecord(dir, memoryLogger());
  await record.start(now);
  const events = new EventQueue(dir, systemClock, memoryLogger());
  await events.start();
  return { record, events, close: async () => (await record.stop(), await events.stop()) };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loa-cut-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('an item cut by a crash', () => {
  it('is reported failed once after the restart, and never again', async () => {
    const first = await open();
    const info = { bulletinId: 'b-1', sha256: 'ab'.repeat(32), planVersion: 3 };
    await first.record.mark('cut', now - 5000, 'played', info);
    await first.events.add({ type: 'started', itemId: 'cut', scheduledAt: now - 5000 });
    await first.record.mark('whole', now - 60_000, 'played');
    await first.record.markEnded('whole');
    // Its end event was stored, the power went before the `ended` mark.
    await first.record.mark('nearly', now - 30_000, 'played');
    await first.events.add({ type: 'finished', itemId: 'nearly', durationMs: 1000 });
    await first.record.mark('refused', now - 10_000, 'refused');
    await first.close(); // as after kill -9: nothing else written

    const second = await open();
    expect(
      second.record
        .interrupted()
        .map((e) => e.id)
        .sort(),
    ).toEqual(['cut', 'nearly']);
    expect(await reportInterrupted(second.record, second.events, memoryLogger())).toBe(1);
    expect(second.events.pending.at(-1)).toMatchObject({
      seq: 3,
      type: 'failed',
      itemId: 'cut',
      bulletinId: 'b-1',
      sha256: info.sha256,
      planVersion: 3,
      scheduledAt: now - 5000,
      reason: INTERRUPTED_REASON,
    });
    expect(second.record.has('cut')).toBe(true);
    await second.close();

    const third = await open();
    expect(third.record.interrupted()).toEqual([]);
    expect(await reportInterrupted(third.record, third.events, memoryLogger())).toBe(0);
    expect(third.events.pending.filter((e) => e.itemId === 'cut').map((e) => e.type)).toEqual(['started', 'failed']);
    await third.close();
  });
});
