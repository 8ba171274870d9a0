import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../clock/clock.js';
import { memoryLogger } from '../log.js';
import { EventQueue } from './event-queue.js';

let dir: string;
const opened: EventQueue[] = [];

async function open(): Promise<EventQueue> {
  const q = new EventQueue(dir, systemClock, memoryLogger());
  await q.start();
  opened.push(q);
  return q;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loa-events-'));
});
afterEach(async () => {
  for (const q of opened.splice(0)) await q.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('EventQueue', () => {
  it('numbers events 1, 2, 3 and keeps them across a restart', async () => {
    const q = await open();
    await q.add({ type: 'fault', reason: 'one' });
    await q.add({ type: 'skipped', itemId: 'i-1', reason: 'two' });
    await q.stop();
    const again = await open();
    expect(again.pending.map((e) => [e.seq, e.type])).toEqual([
      [1, 'fault'],
      [2, 'skipped'],
    ]);
    expect((await again.add({ type: 'fault' })).seq).toBe(3);
  });

  it('forgets acknowledged events and compacts the file', async () => {
    const q = await open();
    for (let i = 0; i < 5; i++) await q.add({ type: 'fault', reason: `#${i}` });
    expect(await q.ack(3)).toBe(3);
    expect(q.pending.map((e) => e.seq)).toEqual([4, 5]);
    const lines = (await readFile(join(dir, 'events.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l) as { seq?: number; lastSeq?: number })).toEqual([
      { lastSeq: 5 },
      expect.objectContaining({ seq: 4 }),
      expect.objectContaining({ seq: 5 }),
    ]);
  });

  it('keeps counting after every event was acknowledged and the agent restarted', async () => {
    const q = await open();
    await q.add({ type: 'fault' });
    await q.add({ type: 'fault' });
    await q.ack(2);
    await q.stop();
    const again = await open();
    expect(again.pending).toEqual([]);
    expect((await again.add({ type: 'fault' })).seq).toBe(3);
  });

  it('skips a torn last line after a power cut', async () => {
    const q = await open();
    await q.add({ type: 'fault', reason: 'kept' });
    await q.stop();
    await appendFile(join(dir, 'events.jsonl'), '{"seq":2,"at":1,"ty');
    const again = await open();
    expect(again.pending.map((e) => e.reason)).toEqual(['kept']);
    expect((await again.add({ type: 'fault' })).seq).toBe(2);
  });

  it('jumps past numbers the server already acknowledged (a wiped data dir)', async () => {
    const q = await open();
    await q.add({ type: 'fault' });
    await q.ack(40);
    expect((await q.add({ type: 'fault' })).seq).toBe(41);
  });
});
