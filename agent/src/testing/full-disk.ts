// Test driver of the cache's file writes: a disk that fills up after a given number of bytes, as
// when something else on the board (logs, a runaway core dump) eats the SD card mid-download.
// Writes past the limit fail with ENOSPC like the kernel's; `freeUp` gives the room back.
import { nodeStoreFs, type StoreFs, type WriteHandle } from '../cache/store-fs.js';

export class FullDisk implements StoreFs {
  private written = 0;
  private full = false;

  /**
   * @param failAfterBytes writes fail once this many bytes went through this driver
   * @param reportedFree what statfs says is free before the disk is full
   */
  constructor(
    private failAfterBytes: number,
    private readonly reportedFree = 512 * 1024 * 1024,
  ) {}

  get bytesWritten(): number {
    return this.written;
  }

  freeUp(): void {
    this.full = false;
    this.failAfterBytes = Number.POSITIVE_INFINITY;
  }

  private take(bytes: number): void {
    if (this.full || this.written + bytes > this.failAfterBytes) {
      this.full = true;
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
    }
    this.written += bytes;
  }

  async writeFile(path: string, data: Uint8Array | string): Promise<void> {
    this.take(typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength);
    await nodeStoreFs.writeFile(path, data);
  }

  async create(path: string): Promise<WriteHandle> {
    const handle = await nodeStoreFs.create(path);
    return {
      write: async (data) => {
        this.take(data.byteLength);
        return handle.write(data);
      },
      sync: () => handle.sync(),
      close: () => handle.close(),
    };
  }

  async freeBytes(): Promise<number> {
    return this.full ? 4096 : Math.max(0, this.reportedFree - this.written);
  }
}
