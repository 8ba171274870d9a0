// The board's sound card (issue 7: an item starts within 20 ms of its instant, measured at the
// first sample). One ffmpeg writer per sink (alsa-writer.ts), started when an item is prepared and
// kept while items follow one another, so at the instant the card is already open and the first
// sample reaches it at once. One writer, not one per item: on an `hw:` device the next item,
// prepared while the one before plays, would find the card taken ("Device or resource busy").
import { BYTES_PER_SAMPLE, samplesToMs } from '../pcm.js';
import { AlsaWriter, OPEN_TIMEOUT_MS } from './alsa-writer.js';
import type { Sink, SinkSession } from './sink.js';

/** With no item prepared for this long, the card is let go (a technician may test it meanwhile). */
export const IDLE_CLOSE_MS = 30_000;

export interface AlsaSinkOptions {
  idleCloseMs?: number;
  openTimeoutMs?: number;
}

export function alsaSink(
  device: string,
  ffmpeg: () => string | undefined,
  now: () => number = Date.now,
  opts: AlsaSinkOptions = {},
): Sink {
  let writer: AlsaWriter | undefined;
  let sessions = 0;
  let idle: NodeJS.Timeout | undefined;
  // A writer let go still holds the card for the few ms ffmpeg takes to end: the next one waits.
  let closing: Promise<void> = Promise.resolve();
  // When the audio handed over so far will have sounded: an item cut short leaves its last
  // ~100 ms in the card's buffer, and the next item's first sample sounds after it.
  let playEnd = 0;

  const release = () => {
    sessions--;
    if (sessions > 0) return;
    clearTimeout(idle);
    idle = setTimeout(() => {
      const w = writer;
      writer = undefined;
      if (w) closing = w.close();
    }, opts.idleCloseMs ?? IDLE_CLOSE_MS);
    idle.unref();
  };

  return {
    name: `alsa:${device}`,
    // ALSA plays from its own buffer; keep it ~100 ms ahead so a late timer is not a gap.
    leadMs: 100,
    async open(): Promise<SinkSession> {
      const path = ffmpeg();
      if (!path) throw new Error('ffmpeg not found');
      clearTimeout(idle);
      // Counted from here: a session ending meanwhile must not let the card go under this one.
      sessions++;
      let w: AlsaWriter | undefined;
      try {
        if (!writer || writer.failure) {
          if (writer) {
            writer.kill();
            closing = writer.exited;
            writer = undefined;
          }
          await closing;
          writer ??= new AlsaWriter(path, device, opts.openTimeoutMs ?? OPEN_TIMEOUT_MS);
        }
        w = writer;
        await w.ready;
      } catch (err) {
        if (writer === w) writer = undefined;
        release();
        throw err;
      }
      const card = w;
      let startedAt: number | undefined;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        release();
      };
      return {
        get startedAt() {
          return startedAt;
        },
        async write(pcm) {
          const t = now();
          startedAt ??= Math.max(t, playEnd);
          playEnd = Math.max(t, playEnd) + samplesToMs(Math.floor(pcm.length / BYTES_PER_SAMPLE));
          await card.write(pcm);
        },
        async close() {
          finish();
          // The card failing mid-item (unplugged) fails the item, even if its last write went in.
          if (card.failure) throw card.failure;
        },
        async abort() {
          finish();
        },
      };
    },
    async close() {
      clearTimeout(idle);
      const w = writer;
      writer = undefined;
      if (w) closing = w.close();
      await closing;
    },
  };
}
