// Item ids already decided (played, refused or skipped), on disk, so a restart never airs the same
// item twice (DESIGN §1: "a weeks-old bulletin aired again by mistake"). Ids are stable across
// plan versions, so this also holds when a new plan repeats an item already aired.
//
// A played item also gets an `ended` line once its end event is stored. One without it after a
// restart was cut by a crash or a power loss: the agent reports it as failed and goes on with the
// next item (issue 7), rather than airing half a bulletin again or its remainder mid-sentence.
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { JsonLines } from '../fs/durable.js';

export type Outcome = 'played' | 'refused' | 'skipped';

/** What the end event of an interrupted item needs, kept with the mark. */
export interface AiringInfo {
  bulletinId?: string;
  sha256?: string;
  planVersion?: number;
}

export interface Entry extends AiringInfo {
  id: string;
  startAt: number;
  outcome: Outcome;
  ended?: boolean;
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
    let endLines = 0;
    for (const v of values) {
      const e = v as Partial<Entry>;
      if (typeof e.id !== 'string') continue;
      if (e.ended === true && e.startAt === undefined) {
        endLines++;
        const held = this.entries.get(e.id);
        if (held) held.ended = true;
        continue;
      }
      if (typeof e.startAt !== 'number') continue;
      if (now - e.startAt > KEEP_MS) old++;
      else this.entries.set(e.id, { ...(e as Entry), outcome: e.outcome ?? 'played' });
    }
    if (old || bad || endLines > 100) await this.file.rewrite([...this.entries.values()]);
  }

  stop(): Promise<void> {
    return this.file.close();
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** Items marked played whose end was never recorded: cut by a crash or a power loss. */
  interrupted(): Entry[] {
    return [...this.entries.values()].filter((e) => e.outcome === 'played' && !e.ended);
  }

  /** Records the decision; resolves once fsync'd. */
  mark(id: string, startAt: number, outcome: Outcome, info: AiringInfo = {}): Promise<void> {
    const entry: Entry = { id, startAt, outcome, ...info };
    if (outcome !== 'played') entry.ended = true;
    this.entries.set(id, entry);
    return this.file
      .append([entry])
      .catch((err: Error) => this.log.error(`could not record item ${id}: ${err.message}`));
  }

  /** Records that a played item's end event is stored. */
  markEnded(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry || entry.ended) return Promise.resolve();
    entry.ended = true;
    return this.file
      .append([{ id, ended: true }])
      .catch((err: Error) => this.log.error(`could not record the end of item ${id}: ${err.message}`));
  }
}
