// The test loudspeaker: each item becomes `DIR/{startedAtMs}_{itemId}.wav` (mono 48 kHz s16le),
// written in real time, and one JSON line in `DIR/sink.jsonl`:
// `{itemId, sha256, file, startedAt, endedAt, samples}`. End-to-end tests assert on these, the
// way a person would listen to the loudspeaker.
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { BYTES_PER_SAMPLE } from '../pcm.js';
import type { Sink, SinkMeta, SinkSession } from './sink.js';
import { wavHeader, WAV_HEADER_BYTES } from './wav.js';

export interface SinkRecord {
  itemId: string;
  sha256: string;
  file: string;
  startedAt: number;
  endedAt: number;
  samples: number;
}

export function fileSink(dir: string, now: () => number = Date.now): Sink {
  return {
    name: `file:${dir}`,
    leadMs: 0,
    async open(meta: SinkMeta): Promise<SinkSession> {
      await mkdir(dir, { recursive: true });
      // The final name needs the start instant, known only at the first sample.
      const tmp = join(dir, `.${randomBytes(6).toString('hex')}.wav.part`);
      const handle = await open(tmp, 'w');
      await handle.write(wavHeader(0), 0, WAV_HEADER_BYTES, 0);
      let startedAt: number | undefined;
      let bytes = 0;
      let done = false;
      return {
        get startedAt() {
          return startedAt;
        },
        async write(pcm) {
          startedAt ??= now();
          await handle.write(pcm, 0, pcm.length, WAV_HEADER_BYTES + bytes);
          bytes += pcm.length;
        },
        async close() {
          if (done) return;
          done = true;
          const endedAt = now();
          await handle.write(wavHeader(bytes), 0, WAV_HEADER_BYTES, 0);
          await handle.close();
          if (startedAt === undefined) {
            await unlink(tmp).catch(() => undefined);
            return;
          }
          const file = `${startedAt}_${meta.itemId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100)}.wav`;
          await rename(tmp, join(dir, file));
          const record: SinkRecord = {
            itemId: meta.itemId,
            sha256: meta.sha256,
            file,
            startedAt,
            endedAt,
            samples: bytes / BYTES_PER_SAMPLE,
          };
          await appendFile(join(dir, 'sink.jsonl'), `${JSON.stringify(record)}\n`);
        },
        async abort() {
          if (done) return;
          done = true;
          await handle.close().catch(() => undefined);
          await unlink(tmp).catch(() => undefined);
        },
      };
    },
  };
}
