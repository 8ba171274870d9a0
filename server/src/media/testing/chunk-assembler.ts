// The receiving side of a media's chunk topics, as an agent does it (DESIGN §3), for simulated
// units (SimUnit, the fleet benchmark): chunks may arrive out of order or twice; they are hashed
// in order as they line up, so thousands of simulated units hold almost nothing, and the file
// counts only once its SHA-256 matches its name.
import { createHash, type Hash } from 'node:crypto';

export type ChunkOutcome = 'more' | 'copy' | 'verified' | { mismatch: string };

export class ChunkAssembler {
  private hash: Hash = createHash('sha256');
  private next = 0;
  private count: number | undefined;
  private readonly early = new Map<number, Buffer>();
  private readonly held = new Set<number>();

  constructor(readonly sha256: string) {}

  /** Chunk indexes held, for `want {have}`. */
  have(): number[] {
    return [...this.held].sort((a, b) => a - b);
  }

  /** Takes chunk `index` of `count`; a bad whole file is forgotten, to be asked for again. */
  add(index: number, count: number, payload: Buffer): ChunkOutcome {
    if (this.count !== undefined && this.count !== count) this.reset();
    this.count = count;
    if (index < this.next || this.early.has(index)) return 'copy';
    this.held.add(index);
    this.early.set(index, payload);
    while (this.early.has(this.next)) {
      this.hash.update(this.early.get(this.next)!);
      this.early.delete(this.next++);
    }
    if (this.next < count) return 'more';
    const actual = this.hash.digest('hex');
    if (actual === this.sha256) return 'verified';
    this.reset();
    return { mismatch: actual };
  }

  private reset(): void {
    this.hash = createHash('sha256');
    this.next = 0;
    this.early.clear();
    this.held.clear();
  }
}
