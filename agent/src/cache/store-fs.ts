// The writes of the media cache behind a small interface, so a test can fill the disk (ENOSPC)
// in the middle of a download without root or a real small file system (issue 6).
import { open, statfs, writeFile } from 'node:fs/promises';

export interface WriteHandle {
  write(data: Uint8Array): Promise<unknown>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreFs {
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  /** Creates (or truncates) a file for writing. */
  create(path: string): Promise<WriteHandle>;
  /** Bytes an unprivileged process may still write under `dir`. */
  freeBytes(dir: string): Promise<number>;
  /** The size of the file system holding `dir` (telemetry: the server judges the free share). */
  totalBytes?(dir: string): Promise<number>;
}

export const nodeStoreFs: StoreFs = {
  writeFile: (path, data) => writeFile(path, data),
  async create(path) {
    const h = await open(path, 'w', 0o644);
    return { write: (data) => h.write(data), sync: () => h.sync(), close: () => h.close() };
  },
  async freeBytes(dir) {
    const s = await statfs(dir);
    return s.bavail * s.bsize;
  },
  async totalBytes(dir) {
    const s = await statfs(dir);
    return s.blocks * s.bsize;
  },
};

/** ENOSPC or EDQUOT: the card (or the user's quota) is full. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
