// Media files on the board (DESIGN §6): `cache/{sha256}` holds only complete files whose hash was
// checked; `partial/{sha256}/{index}` holds the chunks received so far, one file each, so a
// download survives a reboot whatever chunk size the server picked (`partial/{sha256}/count`).
// The cache has a size quota: media no plan needs are evicted least recently used first
// (file mtimes, touched at every airing), never those of the plan held (issue 6).
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { isSha256 } from '@loa/shared';
import { fsyncDir } from '../fs/durable.js';
import { nodeStoreFs, type StoreFs } from './store-fs.js';

export interface Partial {
  count: number | undefined;
  have: Set<number>;
  bytes: number;
}

interface Cached {
  size: number;
  lastUsed: number;
}

export class MediaStore {
  private readonly cached = new Map<string, Cached>();
  // Promises, so two chunks arriving together share one read of the directory.
  private readonly partials = new Map<string, Promise<Partial>>();

  constructor(
    private readonly dataDir: string,
    private readonly fs: StoreFs = nodeStoreFs,
  ) {}

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
      else {
        const s = await stat(path);
        this.cached.set(name, { size: s.size, lastUsed: s.mtimeMs });
      }
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
    for (const c of this.cached.values()) total += c.size;
    return total;
  }

  /** Marks a media as just used (aired), for least-recently-used eviction; kept as its mtime. */
  touch(sha: string, now = Date.now()): void {
    const c = this.cached.get(sha);
    if (!c) return;
    c.lastUsed = now;
    void utimes(this.path(sha), now / 1000, now / 1000).catch(() => undefined);
  }

  freeBytes(): Promise<number> {
    return this.fs.freeBytes(this.dataDir);
  }

  /** The disk's size, where the file system driver can tell. */
  totalBytes(): Promise<number | undefined> {
    return this.fs.totalBytes ? this.fs.totalBytes(this.dataDir) : Promise.resolve(undefined);
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
        // An assembly removes each chunk as it copies it: one gone since readdir is not held.
        const size = await stat(join(dir, name)).then(
          (s) => s.size,
          () => undefined,
        );
        if (size === undefined) continue;
        p.have.add(Number(name));
        p.bytes += size;
      }
    }
    return p;
  }

  /** Forgets what is known of a partial download, so it is read again from disk. */
  forgetPartial(sha: string): void {
    this.partials.delete(sha);
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
      await this.fs.writeFile(join(dir, 'count'), String(count));
      p.count = count;
    }
    if (p.have.has(index)) return p;
    // Temp name then rename: a chunk cut by a power loss (or a full disk) is never taken whole.
    const tmp = join(dir, `.${index}.tmp`);
    try {
      await this.fs.writeFile(tmp, data);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await rename(tmp, join(dir, String(index)));
    p.have.add(index);
    p.bytes += data.length;
    return p;
  }

  /**
   * Concatenates the chunks into a temp file while hashing them, and renames it into the cache
   * only if the SHA-256 is the one the plan names. Each chunk is removed once copied, so the
   * assembly needs one chunk of room, not a second copy of the file. Returns the hash found.
   */
  async assemble(sha: string): Promise<{ ok: boolean; actual: string }> {
    const p = await this.partial(sha);
    const tmp = join(this.cacheDir, `.${sha}.tmp`);
    const hash = createHash('sha256');
    let size = 0;
    // From here on the chunks on disk change: whatever happens, read them again next time.
    this.partials.delete(sha);
    const out = await this.fs.create(tmp);
    try {
      for (let i = 0; i < (p.count ?? 0); i++) {
        const file = join(this.partialDir(sha), String(i));
        const chunk = await readFile(file);
        hash.update(chunk);
        await out.write(chunk);
        size += chunk.length;
        if (i % 8 === 7) await out.sync();
        await unlink(file);
      }
      await out.sync();
    } catch (err) {
      await out.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await out.close();
    const actual = hash.digest('hex');
    if (actual !== sha) {
      await unlink(tmp).catch(() => undefined);
      await this.discardPartial(sha);
      return { ok: false, actual };
    }
    await rename(tmp, this.path(sha));
    await fsyncDir(this.cacheDir);
    this.cached.set(sha, { size, lastUsed: Date.now() });
    await this.discardPartial(sha);
    return { ok: true, actual };
  }

  async discardPartial(sha: string): Promise<void> {
    this.partials.delete(sha);
    await rm(this.partialDir(sha), { recursive: true, force: true });
  }

  /**
   * Evicts cached media outside `keep`, least recently used first, until `needBytes` more fit
   * both under the quota and in the disk's free space (minus `reserveBytes`). Returns what went.
   */
  async makeRoom(
    keep: ReadonlySet<string>,
    needBytes: number,
    quotaBytes: number,
    reserveBytes: number,
  ): Promise<string[]> {
    const removed: string[] = [];
    const candidates = [...this.cached.entries()]
      .filter(([sha]) => !keep.has(sha))
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    let free = await this.freeBytes().catch(() => Number.MAX_SAFE_INTEGER);
    let total = this.cacheBytes;
    for (const [sha, c] of candidates) {
      if (total + needBytes <= quotaBytes && free - reserveBytes >= needBytes) break;
      await rm(this.path(sha), { force: true });
      this.cached.delete(sha);
      total -= c.size;
      free += c.size;
      removed.push(sha);
    }
    return removed;
  }

  /**
   * Removes cached and partial media that no plan needs any more and that are older than
   * `olderThanMs`, so a board's SD card does not fill up over months of bulletins.
   */
  async prune(keep: ReadonlySet<string>, olderThanMs: number, now: number): Promise<string[]> {
    const removed: string[] = [];
    for (const [sha, c] of [...this.cached.entries()]) {
      if (keep.has(sha) || now - c.lastUsed < olderThanMs) continue;
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
