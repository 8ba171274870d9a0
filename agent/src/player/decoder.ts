// One ffmpeg process decoding a media file to the agent's PCM format on its stdout. It is started
// ahead of the item's instant and held by backpressure: nobody reads its stdout until the instant,
// the pipe fills, and ffmpeg waits with the first seconds of audio ready (issue 7 wants 20 ms).
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { SAMPLE_RATE } from './pcm.js';

/** A cached media file, a generated test tone (ffmpeg's lavfi sine source), or a relayed stream. */
export type DecoderInput =
  | { kind: 'file'; path: string }
  | { kind: 'tone'; seconds: number; frequency: number }
  /** Issue #8: an HTTP/Icecast stream (MP3, AAC, Opus), pulled until `endAt` (see agent/src/relay). */
  | { kind: 'relay'; url: string; endAt: number };

/** One attempt at a relayed stream: at most `seconds` of it. */
export type DecoderSource = Exclude<DecoderInput, { kind: 'relay' }> | { kind: 'url'; url: string; seconds: number };

export interface DecoderExit {
  code: number | null;
  error?: string;
}

export class Decoder {
  private readonly child: ChildProcessByStdio<null, Readable, Readable>;
  private stderrTail = '';
  private ended = false;
  private wake: (() => void) | undefined;
  readonly exited: Promise<DecoderExit>;

  constructor(ffmpeg: string, input: DecoderSource) {
    const source =
      input.kind === 'file'
        ? ['-i', input.path]
        : input.kind === 'url'
          ? [
              // ffmpeg's HTTP reconnects cover a short drop; a longer one ends this attempt and the
              // relay part starts another (agent/src/relay). rw_timeout is in microseconds.
              ...['-reconnect', '1', '-reconnect_streamed', '1', '-reconnect_on_network_error', '1'],
              ...['-reconnect_delay_max', '2', '-rw_timeout', '5000000'],
              ...['-i', input.url, '-t', input.seconds.toFixed(3)],
            ]
          : ['-f', 'lavfi', '-i', `sine=frequency=${input.frequency}:duration=${input.seconds}`];
    this.child = spawn(
      ffmpeg,
      [
        '-nostdin',
        '-hide_banner',
        '-loglevel',
        'error',
        ...source,
        '-map',
        '0:a:0',
        '-ac',
        '1',
        '-ar',
        String(SAMPLE_RATE),
        '-f',
        's16le',
        '-acodec',
        'pcm_s16le',
        'pipe:1',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString('utf8')).slice(-400);
    });
    const stdout = this.child.stdout;
    // Paused mode: data stays in the pipe until `read`, which is what holds ffmpeg back.
    stdout.on('readable', () => this.poke());
    stdout.on('end', () => {
      this.ended = true;
      this.poke();
    });
    stdout.on('error', () => {
      this.ended = true;
      this.poke();
    });
    this.exited = new Promise((resolve) => {
      this.child.on('error', (err) => {
        this.ended = true;
        this.poke();
        resolve({ code: null, error: err.message });
      });
      this.child.on('close', (code, signal) => {
        this.ended = true;
        this.poke();
        const detail = this.stderrTail.trim();
        if (code === 0) resolve({ code });
        else
          resolve({
            code,
            error: `ffmpeg ${signal ? `killed by ${signal}` : `exited with code ${code}`}${detail ? `: ${detail}` : ''}`,
          });
      });
    });
  }

  /** Up to `bytes` bytes of PCM (exactly `bytes` until the end), or null at the end. */
  async read(bytes: number): Promise<Buffer | null> {
    const stdout = this.child.stdout;
    for (;;) {
      const chunk = (stdout.read(bytes) as Buffer | null) ?? (this.ended ? (stdout.read() as Buffer | null) : null);
      if (chunk) return chunk;
      if (this.ended || stdout.readableEnded) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    this.child.stdout.destroy();
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
