// Media to units on the shared chunk topics (DESIGN §3): agents say which chunks they hold on
// `media/{sha}/want`; the server gathers wants for a short while and publishes each missing chunk
// once on `media/{sha}/{index}/{count}`, for every unit that wants it. The broker does the fan-out,
// so the server's cost does not grow with the number of units.
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { MediaWant, decoder, topics } from '@loa/shared';
import type { Bus } from '../broker/bus.js';

const wantDecoder = decoder(MediaWant);

export interface DistributionStats {
  chunksPublished: number;
  bytesPublished: number;
}

export function mediaDistributor(opts: {
  bus: Bus;
  mediaDir: string;
  chunkBytes: number;
  gatherMs: number;
  /** Size of a stored media file, or undefined when the server has no such media. */
  sizeOf(sha256: string): number | undefined;
  unitExists(unit: string): boolean;
  log: FastifyBaseLogger;
}) {
  const pending = new Map<string, Set<number>>();
  const timers = new Map<string, NodeJS.Timeout>();
  const stats: DistributionStats = { chunksPublished: 0, bytesPublished: 0 };
  let chain: Promise<void> = Promise.resolve();

  async function publishChunks(sha256: string, indexes: number[]): Promise<void> {
    const size = opts.sizeOf(sha256);
    if (size === undefined) return;
    const count = Math.ceil(size / opts.chunkBytes);
    const file = await open(join(opts.mediaDir, `${sha256}.ogg`), 'r');
    try {
      for (const index of indexes) {
        if (index >= count) continue;
        const length = Math.min(opts.chunkBytes, size - index * opts.chunkBytes);
        const buf = Buffer.allocUnsafe(length);
        await file.read(buf, 0, length, index * opts.chunkBytes);
        await opts.bus.publish(topics.mediaChunk(sha256, index, count), buf, { qos: 1 });
        stats.chunksPublished++;
        stats.bytesPublished += length;
      }
    } finally {
      await file.close();
    }
  }

  function flush(sha256: string) {
    timers.delete(sha256);
    const missing = pending.get(sha256);
    pending.delete(sha256);
    if (!missing || missing.size === 0) return;
    const indexes = [...missing].sort((a, b) => a - b);
    // One media at a time: a burst of wants must not read every file at once.
    chain = chain
      .then(() => publishChunks(sha256, indexes))
      .catch((err: Error) => opts.log.error({ sha256, err: err.message }, 'media: publishing chunks failed'));
  }

  return {
    stats,
    onWant(sha256: string, payload: Buffer) {
      const want = wantDecoder.decode(payload);
      if (!want.ok) return opts.log.warn({ sha256, reason: want.error }, 'media: dropped want');
      if (!opts.unitExists(want.value.unit)) return;
      const size = opts.sizeOf(sha256);
      if (size === undefined) return opts.log.warn({ sha256, unit: want.value.unit }, 'media: want for unknown media');
      const count = Math.ceil(size / opts.chunkBytes);
      const have = new Set(want.value.have);
      let set = pending.get(sha256);
      if (!set) pending.set(sha256, (set = new Set()));
      for (let i = 0; i < count; i++) if (!have.has(i)) set.add(i);
      if (!timers.has(sha256))
        timers.set(
          sha256,
          setTimeout(() => flush(sha256), opts.gatherMs),
        );
    },
    /** Waits for publishes under way (graceful shutdown). */
    async drain() {
      for (const [sha, timer] of timers) {
        clearTimeout(timer);
        flush(sha);
      }
      await chain;
    },
  };
}
