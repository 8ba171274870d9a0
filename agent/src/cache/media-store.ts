// Media files on the board (DESIGN §6): `cache/{sha256}` holds only complete files whose hash was
// checked; `partial/{sha256}/{index}` holds the chunks received so far, one file each, so a
// download survives a reboot whatever chunk size the server picked (`partial/{sha256}/count`).
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, statfs, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isSha256 } from '@loa/shared';
import { fsyncDir } from '../fs/durable.js';

export interface Partial {
  count: number | undefined;
  have: Set<number>;
  bytes: number;
}

export class MediaStore {
  private readonly cached = new Map<string, number>();
  // Promises, so two chunks arriving together share one read of the directory.
  private readonly partials = new Map<string, Promise<Partial>>();

  constructor(private readonly dataDir: string) {}

  get cacheDir(): string {
    return join(this.dataDir, 'cache');
  }

  private partialDir(sha: string): string {
    return join(this.dataDir, 'partial', sha);
  }

  async start(): Promise<void> {
    await mkdir(this.cacheDir, { recursive: true });
    await mkdir(join(this.dataDir, 'partial'), { recursive: true });
    for (const name of await readdir(this.cacheDir)) {
      const path = join(this.cacheDir, name);
      // Leftovers of an assembly cut by a power loss: never trusted, never played.
      if (!isSha256(name)) await rm(path, { force: true });
      else this.cached.set(name, (await stat(path)).size);
    }
  }

  has(sha: string): boolean {
    return this.cached.has(sha);
  }

  path(sha: string): string {
    return join(this.cacheDir, sha);
  }

  get cacheBytes(): number {
    let total = 0;
    for (const size of this.cached.values()) total += size;
    return total;
  }

  async freeBytes(): Promise<number> {
    const s = await statfs(this.dataDir);
    return s.bavail * s.bsize;
  }

  /** The chunks held for one media, read from disk the first time. */
  partial(sha: string): Promise<Partial> {
    let known = this.partials.get(sha);
    if (!known) {
      known = this.readPartial(sha);
      this.partials.set(sha, known);
    }
    return known;
  }

  private async readPartial(sha: string): Promise<Partial> {
    const p: Partial = { count: undefined, have: new Set(), bytes: 0 };
    const dir = this.partialDir(sha);
    const count = Number((await readFile(join(dir, 'count'), 'utf8').catch(() => '')).trim());
    if (Number.isInteger(count) && count > 0) {
      p.count = count;
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        if (!/^\d+$/.test(name) || Number(name) >= count) continue;
        p.have.add(Number(name));
        p.bytes += (await stat(join(dir, name))).size;
      }
    }
    return p;
  }

  /**
   * Stores one chunk. A count different from the one held means the server changed its chunk
   * size: the old chunks cannot be combined with new ones, so they are dropped first.
   */
  async writeChunk(sha: string, index: number, count: number, data: Buffer): Promise<Partial> {
    let p = await this.partial(sha);
    if (p.count !== undefined && p.count !== count) {
      await this.discardPartial(sha);
      p = await this.partial(sha);
    }
    const dir = this.partialDir(sha);
    if (p.count === undefined) {
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'count'), String(count));
      p.count = count;
    }
    if (p.have.has(index)) return p;
    // Temp name then rename: a chunk cut by a power loss is never taken for a whole one.
    const tmp = join(dir, `.${index}.tmp`);
    await writeFile(tmp, data);
    await rename(tmp, join(dir, String(index)));
    p.have.add(index);
    p.bytes += data.length;
    return p;
  }

  /**
   * Concatenates the chunks into a temp file while hashing them, and renames it into the cache
   * only if the SHA-256 is the one the plan names. Returns the hash found.
   */
  async assemble(sha: string): Promise<{ ok: boolean; actual: string }> {
    const p = await this.partial(sha);
    const tmp = join(this.cacheDir, `.${sha}.tmp`);
    const hash = createHash('sha256');
    const out = await open(tmp, 'w', 0o644);
    let size = 0;
    try {
      for (let i = 0; i < (p.count ?? 0); i++) {
        const chunk = await readFile(join(this.partialDir(sha), String(i)));
        hash.update(chunk);
        await out.write(chunk);
        size += chunk.length;
      }
      await out.sync();
    } finally {
      await out.close();
    }
    const actual = hash.digest('hex');
    if (actual !== sha) {
      await unlink(tmp).catch(() => undefined);
      return { ok: false, actual };
    }
    await rename(tmp, this.path(sha));
    await fsyncDir(this.cacheDir);
    this.cached.set(sha, size);
    await this.discardPartial(sha);
    return { ok: true, actual };
  }

  async discardPartial(sha: string): Promise<void> {
    this.partials.delete(sha);
    await rm(this.partialDir(sha), { recursive: true, force: true });
  }

  /**
   * Removes cached and partial media that no plan needs any more and that are older than
   * `olderThanMs`, so a board's SD card does not fill up over months of bulletins.
   */
  async prune(keep: ReadonlySet<string>, olderThanMs: number, now: number): Promise<string[]> {
    const removed: string[] = [];
    for (const sha of [...this.cached.keys()]) {
      if (keep.has(sha)) continue;
      const { mtimeMs } = await stat(this.path(sha)).catch(() => ({ mtimeMs: 0 }));
      if (now - mtimeMs < olderThanMs) continue;
      await rm(this.path(sha), { force: true });
      this.cached.delete(sha);
      removed.push(sha);
    }
    for (const sha of await readdir(join(this.dataDir, 'partial')).catch(() => [] as string[])) {
      if (keep.has(sha)) continue;
      const { mtimeMs } = await stat(this.partialDir(sha)).catch(() => ({ mtimeMs: 0 }));
      if (now - mtimeMs >= olderThanMs) await this.discardPartial(sha);
    }
    return removed;
  }
}
