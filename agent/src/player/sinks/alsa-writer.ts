// One ffmpeg process that writes PCM to an ALSA device, fed VOC blocks on its stdin (voc.ts).
// ffmpeg opens the card only once audio has come in, so the writer primes it with 1 ms blocks of
// silence until ffmpeg says its output is open ("Output #0, alsa …", printed after the device
// opened): `ready` resolves then, long before any item's instant. Between items the card runs dry
// (an ALSA underrun, which ffmpeg recovers from on the next write) but stays open.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { BYTES_PER_SAMPLE, SAMPLE_RATE } from '../pcm.js';
import { vocBlock, vocHeader } from './voc.js';

const PRIME = vocBlock(Buffer.alloc((SAMPLE_RATE / 1000) * BYTES_PER_SAMPLE));
const PRIME_EVERY_MS = 20;
export const OPEN_TIMEOUT_MS = 5000;
/** ffmpeg's own lines at `info` level: not what went wrong. */
const CHATTER = /^(\s|Input #|Output #|Stream mapping|Guessed Channel Layout|Press \[q\])|ALSA buffer xrun/;

export class AlsaWriter {
  private readonly child: ChildProcessByStdio<Writable, null, Readable>;
  private partial = '';
  private problems: string[] = [];
  private closing = false;
  private failed: Error | undefined;
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;

  constructor(ffmpeg: string, device: string, openTimeoutMs = OPEN_TIMEOUT_MS) {
    this.child = spawn(
      ffmpeg,
      [
        ...['-nostdin', '-hide_banner', '-nostats'],
        // `info`, not `error`: the "Output #0" line is how ffmpeg tells that the card is open.
        ...['-loglevel', 'info'],
        // No probing beyond the first blocks; -fflags nobuffer would drop them instead.
        ...['-probesize', '32', '-analyzeduration', '0'],
        ...['-f', 'voc', '-i', 'pipe:0'],
        ...['-f', 'alsa', device],
      ],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    // EPIPE when ffmpeg died: its exit code and its stderr tell more, so they win.
    this.child.stdin.on('error', () => undefined);
    let opened!: () => void;
    let refused!: (err: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      opened = resolve;
      refused = reject;
    });
    // Nobody may be waiting on `ready` (an idle writer failing): not an unhandled rejection.
    this.ready.catch(() => undefined);
    let isOpen = false;
    this.child.stderr.on('data', (d: Buffer) => {
      const lines = (this.partial + d.toString('utf8')).split(/\r?\n/);
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        if (/^Output #0, alsa\b/.test(line)) {
          isOpen = true;
          opened();
        } else if (line.trim() && !CHATTER.test(line)) this.problems = [...this.problems, line.trim()].slice(-4);
      }
    });
    this.exited = new Promise<void>((resolve) => {
      this.child.on('error', (err) => {
        this.fail(new Error(`ffmpeg (alsa ${device}): ${err.message}`));
        resolve();
      });
      // 'close' waits for stdin, which is ours: let an early exit close it.
      this.child.on('exit', () => this.child.stdin.destroy());
      this.child.on('close', (code, signal) => {
        const why = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        if (!this.closing || code !== 0)
          this.fail(
            new Error(`ffmpeg (alsa ${device}) ${why}${this.problems.length ? `: ${this.problems.join(' ')}` : ''}`),
          );
        resolve();
      });
    });
    void this.exited.then(() => refused(this.failed ?? new Error(`ffmpeg (alsa ${device}) closed before it opened`)));

    this.child.stdin.write(Buffer.concat([vocHeader(), PRIME]));
    const prime = setInterval(() => {
      if (isOpen || this.failed) return clearInterval(prime);
      this.child.stdin.write(PRIME);
    }, PRIME_EVERY_MS);
    const timeout = setTimeout(() => {
      if (isOpen || this.failed) return;
      this.fail(new Error(`ffmpeg did not open alsa ${device} within ${openTimeoutMs / 1000} s`));
      this.kill();
    }, openTimeoutMs);
    void this.ready.then(
      () => clearTimeout(timeout),
      () => {
        clearTimeout(timeout);
        clearInterval(prime);
      },
    );
  }

  /** Why the writer cannot be used any more, once it cannot. */
  get failure(): Error | undefined {
    return this.failed;
  }

  /** Hands PCM (whole samples) to the card; waits only when ffmpeg's pipe is full. */
  async write(pcm: Buffer): Promise<void> {
    if (this.failed) throw this.failed;
    if (!this.child.stdin.write(vocBlock(pcm)))
      await Promise.race([once(this.child.stdin, 'drain').catch(() => undefined), this.exited]);
    if (this.failed) throw this.failed;
  }

  /** Lets what was written sound, then ends ffmpeg (killed if it takes more than 5 s). */
  async close(): Promise<void> {
    this.closing = true;
    this.child.stdin.end();
    const timer = setTimeout(() => this.kill(), 5000);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    this.closing = true;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private fail(err: Error): void {
    this.failed ??= err;
  }
}
