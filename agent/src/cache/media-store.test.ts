import { mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FullDisk } from '../testing/full-disk.js';
import { MediaStore } from './media-store.js';

let dir: string;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const DAY = 24 * 3600_000;

/** Puts complete media in the cache as if fetched on day `usedAt`. */
async function seed(store: MediaStore, sizes: Record<string, number>) {
  const shas: Record<string, string> = {};
  for (const [name, size] of Object.entries(sizes)) {
    const bytes = Buffer.alloc(size, name.charCodeAt(0));
    const s = sha(bytes);
    await store.writeChunk(s, 0, 1, bytes);
    expect((await store.assemble(s)).ok).toBe(true);
    shas[name] = s;
  }
  return shas;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loa-store-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('MediaStore quota', () => {
  it('evicts the least recently aired media first, and never one the plan holds', async () => {
    const store = new MediaStore(dir);
    await store.start();
    const s = await seed(store, { a: 1000, b: 1000, c: 1000, d: 1000 });
    const t = Date.now();
    store.touch(s.a!, t - 4 * DAY);
    store.touch(s.b!, t - 1 * DAY);
    store.touch(s.c!, t - 3 * DAY); // oldest but in the plan
    store.touch(s.d!, t - 2 * DAY);
    const removed = await store.makeRoom(new Set([s.c!]), 1500, 3500, 0);
    // 4000 held + 1500 needed under 3500: two must go, a then d, never c.
    expect(removed).toEqual([s.a, s.d]);
    expect(store.has(s.c!)).toBe(true);
    expect(store.cacheBytes).toBe(2000);
    expect((await readdir(store.cacheDir)).sort()).toEqual([s.b, s.c].sort());
  });

  it('keeps the plan’s media even when they alone exceed the quota', async () => {
    const store = new MediaStore(dir);
    await store.start();
    const s = await seed(store, { a: 2000, b: 2000 });
    expect(await store.makeRoom(new Set([s.a!, s.b!]), 1000, 1000, 0)).toEqual([]);
    expect(store.cacheBytes).toBe(4000);
  });

  it('remembers which media were aired when, across a restart (file times)', async () => {
    const first = new MediaStore(dir);
    await first.start();
    const s = await seed(first, { a: 100, b: 100 });
    first.touch(s.a!, Date.now() - 2 * DAY);
    first.touch(s.b!, Date.now() - 1 * DAY);
    await new Promise((r) => setTimeout(r, 50)); // utimes is not awaited by touch
    const second = new MediaStore(dir);
    await second.start();
    expect(await second.makeRoom(new Set(), 0, 150, 0)).toEqual([s.a]);
  });

  it('makes room on a full disk too, not only under the quota', async () => {
    const disk = new FullDisk(Number.POSITIVE_INFINITY, 10_000);
    const store = new MediaStore(dir, disk);
    await store.start();
    const s = await seed(store, { a: 3000, b: 3000 });
    // 10 000 reported free minus 6 000 written (+ counts): 4 000 left, 5 000 wanted.
    expect(await store.makeRoom(new Set([s.b!]), 5000, Number.MAX_SAFE_INTEGER, 0)).toEqual([s.a]);
  });
});

describe('MediaStore assembly', () => {
  it('fails cleanly on ENOSPC: no temp file left, and the download can be read again from disk', async () => {
    const bytes = Buffer.alloc(3000, 7);
    const s = sha(bytes);
    const disk = new FullDisk(3000 + 10 + 1500);
    const store = new MediaStore(dir, disk);
    await store.start();
    for (let i = 0; i < 3; i++) await store.writeChunk(s, i, 3, bytes.subarray(i * 1000, (i + 1) * 1000));
    await expect(store.assemble(s)).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(await readdir(store.cacheDir)).toEqual([]);
    expect(store.has(s)).toBe(false);
    // The chunks already copied are gone; the others are still there to resume from.
    const p = await store.partial(s);
    expect(p.count).toBe(3);
    expect([...p.have].sort()).toEqual([1, 2]);
    disk.freeUp();
    await store.writeChunk(s, 0, 3, bytes.subarray(0, 1000));
    expect((await store.assemble(s)).ok).toBe(true);
  });

  it('reads a download whose chunk vanished between listing and reading it, as an assembly does', async () => {
    const bytes = Buffer.alloc(2000, 9);
    const s = sha(bytes);
    const store = new MediaStore(dir);
    await store.start();
    await store.writeChunk(s, 0, 2, bytes.subarray(0, 1000));
    // Listed by readdir, gone by the time it is read (found by agent/src/fuzz.test.ts).
    await symlink(join(dir, 'gone'), join(dir, 'partial', s, '1'));
    store.forgetPartial(s);
    const p = await store.partial(s);
    expect([p.count, [...p.have], p.bytes]).toEqual([2, [0], 1000]);
  });
});
