// Item ids already decided (played, refused or skipped), on disk, so a restart never airs the same
// item twice (DESIGN §1: "a weeks-old bulletin aired again by mistake"). Ids are stable across
// plan versions, so this also holds when a new plan repeats an item already aired.
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { JsonLines } from '../fs/durable.js';

export type Outcome = 'played' | 'refused' | 'skipped';

interface Entry {
  id: string;
  startAt: number;
  outcome: Outcome;
}

/** Entries older than this are dropped at start: no plan carries items that old. */
const KEEP_MS = 3 * 24 * 3600_000;

export class PlayedRecord {
  private readonly file: JsonLines;
  private readonly entries = new Map<string, Entry>();

  constructor(
    dataDir: string,
    private readonly log: Logger,
  ) {
    this.file = new JsonLines(join(dataDir, 'played.jsonl'));
  }

  async start(now: number): Promise<void> {
    const { values, bad } = await this.file.readAll();
    if (bad) this.log.warn(`skipped ${bad} unreadable line(s) of played.jsonl`);
    let old = 0;
    for (const v of values) {
      const e = v as Partial<Entry>;
      if (typeof e.id !== 'string' || typeof e.startAt !== 'number') continue;
      if (now - e.startAt > KEEP_MS) old++;
      else this.entries.set(e.id, { id: e.id, startAt: e.startAt, outcome: e.outcome ?? 'played' });
    }
    if (old || bad) await this.file.rewrite([...this.entries.values()]);
  }

  stop(): Promise<void> {
    return this.file.close();
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** Records the decision; resolves once fsync'd. */
  mark(id: string, startAt: number, outcome: Outcome): Promise<void> {
    const entry = { id, startAt, outcome };
    this.entries.set(id, entry);
    return this.file
      .append([entry])
      .catch((err: Error) => this.log.error(`could not record item ${id}: ${err.message}`));
  }
}
