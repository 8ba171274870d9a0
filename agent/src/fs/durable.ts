// Writes that survive a power cut (DESIGN §6: state lives in the data dir and survives power loss).
// A board on a pole loses power without warning; a half-written plan or event file must never be
// what the agent reads at the next boot.
import { constants } from 'node:fs';
import { open, rename, readFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** fsync a directory, so a rename inside it is on disk too. Not every platform allows it. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, constants.O_RDONLY);
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic.
  } finally {
    await handle?.close();
  }
}

/** Writes to a temp name, fsyncs, then renames over the target: readers see old or new, never half. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  await fsyncDir(dirname(path));
}

/** Reads a file, or undefined when it does not exist. */
export async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * An append-only file of JSON lines, each append fsync'd before it resolves. Appends are
 * serialized; `rewrite` replaces the whole file atomically (compaction).
 */
export class JsonLines {
  private handle: FileHandle | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  /** Reads every line that parses; a torn last line after a power cut is skipped, not fatal. */
  async readAll(): Promise<{ values: unknown[]; bad: number }> {
    const raw = await readIfExists(this.path);
    const values: unknown[] = [];
    let bad = 0;
    for (const line of (raw?.toString('utf8') ?? '').split('\n')) {
      if (!line.trim()) continue;
      try {
        values.push(JSON.parse(line));
      } catch {
        bad++;
      }
    }
    return { values, bad };
  }

  append(values: unknown[]): Promise<void> {
    return this.serial(async () => {
      if (values.length === 0) return;
      this.handle ??= await open(this.path, 'a', 0o600);
      await this.handle.write(values.map((v) => `${JSON.stringify(v)}\n`).join(''));
      await this.handle.datasync();
    });
  }

  rewrite(values: unknown[]): Promise<void> {
    return this.serial(async () => {
      await this.handle?.close();
      this.handle = undefined;
      await writeFileAtomic(this.path, values.map((v) => `${JSON.stringify(v)}\n`).join(''));
    });
  }

  close(): Promise<void> {
    return this.serial(async () => {
      await this.handle?.close();
      this.handle = undefined;
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
