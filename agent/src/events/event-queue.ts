// The durable queue of play-log and fault events (DESIGN §3, §6). Each event gets the next
// unit-local sequence number and is fsync'd before anyone may publish it; the counter survives
// restarts and compaction, so the server can tell a gap from a duplicate.
import { join } from 'node:path';
import { decoder, UnitEvent } from '@loa/shared';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../log.js';
import { JsonLines } from '../fs/durable.js';

const eventCheck = decoder(UnitEvent);

/** What a part reports; the queue stamps `seq`, and `at` unless the part knows it better. */
export type NewEvent = Omit<UnitEvent, 'seq' | 'at'> & { at?: number };

export interface EventSink {
  add(event: NewEvent): Promise<UnitEvent>;
}

export class EventQueue implements EventSink {
  private readonly file: JsonLines;
  private events: UnitEvent[] = [];
  private lastSeq = 0;
  private readonly listeners: ((e: UnitEvent) => void)[] = [];

  constructor(
    dataDir: string,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.file = new JsonLines(join(dataDir, 'events.jsonl'));
  }

  /**
   * Loads the file: lines are events or `{"lastSeq": N}` markers written at compaction, so the
   * counter is kept even when every event has been acknowledged.
   */
  async start(): Promise<void> {
    const { values, bad } = await this.file.readAll();
    if (bad) this.log.warn(`skipped ${bad} unreadable line(s) of events.jsonl (torn write?)`);
    const bySeq = new Map<number, UnitEvent>();
    for (const v of values) {
      if (isMarker(v)) {
        this.lastSeq = Math.max(this.lastSeq, v.lastSeq);
        continue;
      }
      const checked = eventCheck.check(v);
      if (!checked.ok) {
        this.log.warn(`skipped a stored event: ${checked.error}`);
        continue;
      }
      bySeq.set(checked.value.seq, checked.value);
      this.lastSeq = Math.max(this.lastSeq, checked.value.seq);
    }
    this.events = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
    if (this.events.length)
      this.log.info(`${this.events.length} unacknowledged event(s) from before, up to #${this.lastSeq}`);
  }

  async stop(): Promise<void> {
    await this.file.close();
  }

  onAdded(fn: (e: UnitEvent) => void): void {
    this.listeners.push(fn);
  }

  get pending(): readonly UnitEvent[] {
    return this.events;
  }

  get lastSequence(): number {
    return this.lastSeq;
  }

  /** Numbers the event at once (so numbers follow call order) and resolves once it is on disk. */
  async add(event: NewEvent): Promise<UnitEvent> {
    const { at, ...rest } = event;
    // seq and at first: the order a person reading the file or the wire expects.
    const full = dropUndefined({ seq: ++this.lastSeq, at: at ?? this.clock.now(), ...rest }) as UnitEvent;
    const checked = eventCheck.check(full);
    if (!checked.ok) {
      // A bug in the agent (a too long reason…): keep the number, store a trimmed fault instead.
      this.log.error(`event #${full.seq} does not match the schema (${checked.error}); stored as a fault`);
      Object.assign(full, { type: 'fault', reason: `agent produced an invalid ${event.type} event` });
      for (const k of ['itemId', 'bulletinId', 'sha256'] as const) delete full[k];
    }
    this.events.push(full);
    this.log.info(
      `event #${full.seq} ${full.type}${full.itemId ? ` ${full.itemId}` : ''}${full.reason ? `: ${full.reason}` : ''}`,
    );
    try {
      await this.file.append([full]);
    } catch (err) {
      this.log.error(`could not store event #${full.seq}: ${(err as Error).message}`);
    }
    for (const fn of this.listeners) fn(full);
    return full;
  }

  /** Forgets every event up to `upTo` and compacts the file. Returns how many were forgotten. */
  async ack(upTo: number): Promise<number> {
    const before = this.events.length;
    this.events = this.events.filter((e) => e.seq > upTo);
    const forgotten = before - this.events.length;
    const bumped = upTo > this.lastSeq;
    if (bumped) {
      // The server holds numbers this board never sent (its data dir was wiped): jump past them
      // rather than send numbers the server already has.
      this.log.warn(
        `the server acknowledged up to #${upTo}, beyond the last event #${this.lastSeq}; numbering continues from there`,
      );
      this.lastSeq = upTo;
    }
    if (forgotten > 0 || bumped) {
      await this.file.rewrite([{ lastSeq: this.lastSeq }, ...this.events]);
    }
    return forgotten;
  }
}

function isMarker(v: unknown): v is { lastSeq: number } {
  return typeof v === 'object' && v !== null && Number.isInteger((v as { lastSeq?: unknown }).lastSeq) && !('seq' in v);
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
