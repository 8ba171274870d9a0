// The board's sound card: an ffmpeg process reading the agent's PCM on stdin and writing to ALSA.
// Spawned when the item is prepared, so the device is open and warm at the instant.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { SAMPLE_RATE } from '../pcm.js';
import type { Sink, SinkSession } from './sink.js';

export function alsaSink(device: string, ffmpeg: () => string | undefined, now: () => number = Date.now): Sink {
  return {
    name: `alsa:${device}`,
    // ALSA plays from its own buffer; keep it ~100 ms ahead so a late timer is not a gap.
    leadMs: 100,
    async open(): Promise<SinkSession> {
      const path = ffmpeg();
      if (!path) throw new Error('ffmpeg not found');
      const child = spawn(
        path,
        // No probing of raw PCM: by default ffmpeg buffers ~1 s of input before it opens the card.
        [
          '-nostdin',
          '-hide_banner',
          '-loglevel',
          'error',
          '-probesize',
          '32',
          '-analyzeduration',
          '0',
          '-fflags',
          'nobuffer',
          '-f',
          's16le',
          '-ar',
          String(SAMPLE_RATE),
          '-ac',
          '1',
          '-i',
          'pipe:0',
          '-f',
          'alsa',
          device,
        ],
        { stdio: ['pipe', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-400)));
      let failure: Error | undefined;
      const exited = new Promise<void>((resolve) => {
        child.on('error', (err) => {
          failure = err;
          resolve();
        });
        // 'close' waits for stdin, which is ours: let an early exit close it.
        child.on('exit', (code) => {
          if (code !== 0) child.stdin.destroy();
        });
        child.on('close', (code) => {
          if (code !== 0) failure ??= new Error(`ffmpeg (alsa ${device}) exited with code ${code}: ${stderr.trim()}`);
          resolve();
        });
      });
      // EPIPE when ffmpeg died: the exit code and its stderr tell more, so they win.
      child.stdin.on('error', () => undefined);
      let startedAt: number | undefined;
      return {
        get startedAt() {
          return startedAt;
        },
        async write(pcm) {
          if (failure) throw failure;
          startedAt ??= now();
          if (child.stdin.destroyed) await exited;
          else if (!child.stdin.write(pcm)) await Promise.race([once(child.stdin, 'drain'), exited]);
          if (failure) throw failure;
        },
        async close() {
          child.stdin.end();
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
          // ffmpeg opens the device only once PCM arrives: a missing card shows up here.
          if (failure) throw failure;
        },
        async abort() {
          child.kill('SIGKILL');
          await exited;
        },
      };
    },
  };
}
