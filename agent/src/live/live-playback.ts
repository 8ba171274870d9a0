// One live session on the loudspeaker (issue #8): Ogg pages from `live/{session}` go into an ffmpeg
// decoder's stdin, its PCM into a small jitter buffer, and from there into the sink every 20 ms in
// real time. The buffer is what keeps mouth-to-loudspeaker short: it starts playing once JITTER_MS
// of audio is in, writes silence when a packet is late (an underrun, not a stall that would push
// everything later), and drops the oldest audio when it holds more than it should (a burst after a
// stall), so the delay never grows during a long speech.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../log.js';
import { FFMPEG_MISSING } from '../player/ffmpeg.js';
import { applyGain, BYTES_PER_SAMPLE, CHUNK_BYTES, samplesToMs } from '../player/pcm.js';
import type { Playback, PlayOptions, PlayOutcome } from '../player/player.js';
import type { Sink } from '../player/sinks/sink.js';

/** Audio held before the first sample, and the level the buffer is brought back to. */
export const JITTER_MS = 100;
/** More than this buffered means the speech fell behind: the oldest is dropped. */
const MAX_BUFFER_MS = 300;
const msToBytes = (ms: number) => Math.round(ms * 48) * BYTES_PER_SAMPLE;

export interface LivePlaybackOptions {
  itemId: string;
  /** The stream's OpusHead and OpusTags pages, from the signed live-start command. */
  head: Buffer;
  /** No frame for this long ends the session on this unit. */
  idleMs: number;
  ffmpeg: string | undefined;
  sink: Sink;
  clock: Clock;
  log: Logger;
}

export class LivePlayback implements Playback {
  private readonly child: ChildProcessByStdio<Writable, Readable, Readable> | undefined;
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private lastFrameAt: number;
  private endReason: { kind: 'finished' | 'stopped'; reason: string } | undefined;
  private stderrTail = '';
  private wake: (() => void) | undefined;
  private dropped = 0;
  underruns = 0;

  constructor(private readonly opts: LivePlaybackOptions) {
    this.lastFrameAt = opts.clock.now();
    if (!opts.ffmpeg) return;
    this.child = spawn(
      opts.ffmpeg,
      [
        ...['-hide_banner', '-loglevel', 'error'],
        // Start on the first page, not after probing a second of the stream.
        ...['-probesize', '32', '-analyzeduration', '0', '-fflags', 'nobuffer'],
        ...['-f', 'ogg', '-i', 'pipe:0'],
        ...['-map', '0:a:0', '-ac', '1', '-ar', '48000', '-f', 's16le', '-acodec', 'pcm_s16le'],
        ...['-flush_packets', '1', 'pipe:1'],
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    this.child.stdin.on('error', () => undefined); // ffmpeg gone: play() reports it
    this.child.stdin.write(opts.head);
    this.child.stdout.on('data', (pcm: Buffer) => {
      this.queue.push(pcm);
      this.queued += pcm.length;
      this.poke();
    });
    this.child.stderr.on('data', (d: Buffer) => (this.stderrTail = (this.stderrTail + d.toString()).slice(-300)));
    this.child.on('close', () => {
      if (!this.endReason)
        this.finish('stopped', `the live decoder stopped: ${this.stderrTail.trim() || 'no reason given'}`);
    });
    this.child.on('error', (err) => this.finish('stopped', err.message));
  }

  get itemId(): string {
    return this.opts.itemId;
  }

  /** Why it cannot play at all (no ffmpeg on the board), before anything is promised. */
  get unplayable(): string | undefined {
    return this.child ? undefined : FFMPEG_MISSING;
  }

  /** One authentic Ogg page, in order. */
  push(page: Buffer): void {
    if (this.endReason || !this.child) return;
    this.lastFrameAt = this.opts.clock.now();
    this.child.stdin.write(page);
  }

  /** The session ended normally (live-stop, a newer session): reported `finished`. */
  end(reason: string): void {
    this.finish('finished', reason);
  }

  /** Cut short (an emergency, the agent stopping): reported `preempted`. */
  stop(reason: string): void {
    this.finish('stopped', reason);
  }

  async play({ at, gain, onStarted }: PlayOptions): Promise<PlayOutcome> {
    const { clock, sink, log, idleMs } = this.opts;
    if (!this.child) return { kind: 'failed', startedAt: undefined, durationMs: 0, reason: FFMPEG_MISSING };
    let session;
    try {
      session = await sink.open({ itemId: this.opts.itemId, sha256: 'live' });
    } catch (err) {
      this.kill();
      return {
        kind: 'failed',
        startedAt: undefined,
        durationMs: 0,
        reason: `sink ${sink.name}: ${(err as Error).message}`,
      };
    }
    const jitter = msToBytes(JITTER_MS);
    // Until the amplifier is warm and the first words are buffered: only the newest JITTER_MS kept.
    while (!this.endReason && (clock.now() < at || this.queued < jitter)) {
      this.trim(jitter);
      if (clock.now() - this.lastFrameAt > idleMs) this.end(`no audio for ${Math.round(idleMs / 1000)} s`);
      await this.sleep(clock.now() + 10);
    }
    this.trim(jitter);
    let t0 = 0;
    let samples = 0;
    let failure: string | undefined;
    while (!this.endReason) {
      if (this.queued > msToBytes(MAX_BUFFER_MS)) this.trim(jitter);
      let chunk = this.take(CHUNK_BYTES);
      if (!chunk) {
        // Late packet: silence in its place keeps the loudspeaker's clock with the speaker's.
        this.underruns++;
        chunk = Buffer.alloc(CHUNK_BYTES);
      }
      try {
        await session.write(applyGain(chunk, gain()));
      } catch (err) {
        failure = `sink ${sink.name}: ${(err as Error).message}`;
        break;
      }
      if (samples === 0) {
        t0 = clock.now();
        onStarted(session.startedAt ?? t0);
      }
      samples += chunk.length / BYTES_PER_SAMPLE;
      if (clock.now() - this.lastFrameAt > idleMs) {
        this.end(`no audio for ${Math.round(idleMs / 1000)} s`);
        break;
      }
      await this.sleep(t0 + samplesToMs(samples) - sink.leadMs);
    }
    this.kill();
    await session.close().catch((err: Error) => (failure ??= `sink ${sink.name}: ${err.message}`));
    if (this.dropped)
      log.info(`${this.opts.itemId}: dropped ${Math.round(this.dropped)} ms of audio to keep the delay short`);
    const startedAt = samples ? (session.startedAt ?? t0) : undefined;
    const durationMs = Math.round(samplesToMs(samples));
    if (failure) return { kind: 'failed', startedAt, durationMs, reason: failure };
    const end = this.endReason ?? { kind: 'stopped' as const, reason: 'ended' };
    if (end.kind === 'finished' && startedAt !== undefined) return { kind: 'finished', startedAt, durationMs };
    return {
      kind: 'stopped',
      startedAt,
      durationMs,
      reason: startedAt === undefined ? `${end.reason} (no audio had arrived)` : end.reason,
    };
  }

  private finish(kind: 'finished' | 'stopped', reason: string): void {
    if (this.endReason) return;
    this.endReason = { kind, reason };
    this.poke();
  }

  private kill(): void {
    if (!this.child) return;
    this.child.stdin.destroy();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  /** Drops the oldest audio until at most `keep` bytes remain (whole samples: pipe reads split them). */
  private trim(keep: number): void {
    let drop = this.queued - keep;
    drop -= drop % BYTES_PER_SAMPLE;
    if (drop <= 0) return;
    this.queued -= drop;
    this.dropped += samplesToMs(drop / BYTES_PER_SAMPLE);
    while (drop > 0) {
      const head = this.queue[0]!;
      if (head.length <= drop) {
        this.queue.shift();
        drop -= head.length;
      } else {
        this.queue[0] = head.subarray(drop);
        drop = 0;
      }
    }
  }

  private take(bytes: number): Buffer | undefined {
    if (this.queued < bytes) return undefined;
    const out = Buffer.alloc(bytes);
    let filled = 0;
    while (filled < bytes) {
      const head = this.queue[0]!;
      const n = Math.min(head.length, bytes - filled);
      head.copy(out, filled, 0, n);
      filled += n;
      if (n === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(n);
    }
    this.queued -= bytes;
    return out;
  }

  /** Until `at`, or sooner when the session ends. */
  private sleep(at: number): Promise<void> {
    const { clock } = this.opts;
    if (this.endReason || clock.now() >= at) return Promise.resolve();
    return new Promise((resolve) => {
      const cancel = clock.setTimer(at, () => {
        this.wake = undefined;
        resolve();
      });
      this.wake = () => {
        cancel();
        resolve();
      };
    });
  }

  private poke(): void {
    // Only an end interrupts a sleep; new audio waits for the next 20 ms tick.
    if (!this.endReason) return;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
