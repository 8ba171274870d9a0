// Ingest of an uploaded file: nothing is stored unless every step succeeds.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Db } from '../db/database.js';
import { HttpError } from '../http-error.js';
import type { FfmpegTools } from './ffmpeg.js';
import { ffmpegOrThrow, probe, transcodeToStore } from './ingest.js';
import { mediaRepo, toMediaView } from './media.repo.js';

export function mediaService(db: Db, mediaDir: string, tools: FfmpegTools | undefined) {
  const repo = mediaRepo(db);
  return {
    get(sha256: string) {
      const row = repo.get(sha256);
      if (!row) throw new HttpError(404, 'media-not-found', `There is no media ${sha256}.`);
      return toMediaView(row);
    },
    list: (limit = 100) => repo.list(limit).map(toMediaView),
    sizeOf: (sha256: string) => repo.get(sha256)?.bytes,

    /** `name` is the uploaded file name: kept for people to read, never used as a path. */
    async ingest(file: Readable & { truncated?: boolean }, name: string | undefined, userId: number | null) {
      const ff = ffmpegOrThrow(tools);
      await mkdir(join(mediaDir, 'uploads'), { recursive: true });
      await mkdir(join(mediaDir, 'originals'), { recursive: true });
      const upload = join(mediaDir, 'uploads', randomBytes(12).toString('hex'));
      try {
        const hash = createHash('sha256');
        const tap = new Transform({
          transform(chunk: Buffer, _enc, done) {
            hash.update(chunk);
            done(null, chunk);
          },
        });
        await pipeline(file, tap, createWriteStream(upload, { mode: 0o640 }));
        if (file.truncated) {
          throw new HttpError(
            413,
            'upload-too-large',
            'The file is larger than the server accepts. Shorten or compress the recording and upload it again.',
          );
        }
        const originalBytes = (await stat(upload)).size;
        if (originalBytes === 0)
          throw new HttpError(422, 'empty-file', 'The file is empty. Choose the recording again and upload it.');
        const originalSha = hash.digest('hex');
        const probed = await probe(ff, upload);
        const stored = await transcodeToStore(ff, upload, mediaDir);
        await rename(upload, join(mediaDir, 'originals', originalSha));
        repo.insert({
          sha256: stored.sha256,
          bytes: stored.bytes,
          duration_ms: stored.durationMs,
          codec: stored.codec,
          original_name: name ? name.slice(0, 255) : null,
          original_sha256: originalSha,
          original_bytes: originalBytes,
          original_format: probed.format,
          created_at: Date.now(),
          created_by: userId,
        });
        return toMediaView(repo.get(stored.sha256)!);
      } finally {
        await rm(upload, { force: true });
      }
    },
  };
}
export type MediaService = ReturnType<typeof mediaService>;
