// The player part: decodes a cached media file with ffmpeg and paces its PCM into the sink in real
// time. `prepare` is called ahead of the instant (decoder spawned, first 20 ms decoded, sink open),
// so at the instant only a write remains; the start is measured at the sink's first sample.
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../log.js';
import { Decoder, type DecoderExit, type DecoderInput, type DecoderSource } from './decoder.js';
import { RelayPlayback } from '../relay/relay-playback.js';
import { LivePlayback, type LivePlaybackOptions } from '../live/live-playback.js';
import { FFMPEG_MISSING } from './ffmpeg.js';
import { applyGain, BYTES_PER_SAMPLE, CHUNK_BYTES, samplesToMs } from './pcm.js';
import type { Sink, SinkSession } from './sinks/sink.js';

export interface PlayRequest {
  itemId: string;
  /** For the sink's record; a test tone has none. */
  sha256: string;
  input: DecoderInput;
}

export type PlayOutcome =
  | { kind: 'finished'; startedAt: number; durationMs: number }
  | { kind: 'stopped' | 'failed'; startedAt: number | undefined; durationMs: number; reason: string };

export interface PlayOptions {
  /** The instant of the first sample; in the past means now. */
  at: number;
  /** Read for every 20 ms of audio, so volume and mute act on the item already playing. */
  gain: () => number;
  onStarted: (startedAt: number) => void;
  /** Something the technician should know that does not end the item (a relay source failing). */
  onFault?: (reason: string) => void;
}

export interface Playback {
  readonly itemId: string;
  play(opts: PlayOptions): Promise<PlayOutcome>;
  /** Ends the item now (or cancels it before it starts); `play` then resolves `stopped`. */
  stop(reason: string): void;
}

export interface PlayerOptions {
  sink: Sink;
  ffmpeg: string | undefined;
  clock: Clock;
  log: Logger;
}

export class Player {
  constructor(private readonly opts: PlayerOptions) {}

  start(): void {
    if (!this.opts.ffmpeg) this.opts.log.error(FFMPEG_MISSING);
  }

  prepare(req: PlayRequest): Playback {
    const input = req.input;
    if (input.kind === 'relay')
      return new RelayPlayback(
        { itemId: req.itemId, url: input.url, endAt: input.endAt },
        (seconds) => new Prepared({ ...req, input: { kind: 'url', url: input.url, seconds } }, this.opts),
        this.opts.clock,
      );
    return new Prepared({ ...req, input }, this.opts);
  }

  /** A live session's playback (issue #8): its owner pushes the stream's pages into it. */
  prepareLive(opts: Pick<LivePlaybackOptions, 'itemId' | 'head' | 'idleMs'>): LivePlayback {
    return new LivePlayback({
      ...opts,
      ffmpeg: this.opts.ffmpeg,
      sink: this.opts.sink,
      clock: this.opts.clock,
      log: this.opts.log,
    });
  }
}

class Prepared implements Playback {
  private readonly decoder: Decoder | undefined;
  private readonly session: Promise<SinkSession | Error>;
  private readonly first: Promise<Buffer | null> | undefined;
  private stopReason: string | undefined;
  private readonly stopListeners: (() => void)[] = [];
  private played = false;

  constructor(
    private readonly req: Omit<PlayRequest, 'input'> & { input: DecoderSource },
    private readonly opts: PlayerOptions,
  ) {
    if (!opts.ffmpeg) {
      this.session = Promise.resolve(new Error(FFMPEG_MISSING));
      return;
    }
    this.decoder = new Decoder(opts.ffmpeg, req.input);
    this.first = this.decoder.read(CHUNK_BYTES);
    this.session = opts.sink
      .open({ itemId: req.itemId, sha256: req.sha256 })
      .catch((err: Error) => new Error(`sink ${opts.sink.name}: ${err.message}`));
  }

  get itemId(): string {
    return this.req.itemId;
  }

  stop(reason: string): void {
    if (this.stopReason !== undefined) return;
    this.stopReason = reason;
    for (const fn of this.stopListeners.splice(0)) fn();
    if (!this.played) void this.discard();
  }

  async play({ at, gain, onStarted }: PlayOptions): Promise<PlayOutcome> {
    this.played = true;
    const { clock, sink } = this.opts;
    const session = await this.session;
    if (session instanceof Error) {
      this.decoder?.kill();
      return { kind: 'failed', startedAt: undefined, durationMs: 0, reason: session.message };
    }
    let chunk = (await this.first) ?? null;
    if (!chunk) {
      const exit = await this.decoder!.exited;
      await session.abort();
      return {
        kind: 'failed',
        startedAt: undefined,
        durationMs: 0,
        reason: exit.error ?? 'the media decoded to no audio',
      };
    }
    await this.sleepUntil(at, true);
    if (this.stopReason !== undefined) {
      this.decoder!.kill();
      await session.abort();
      return { kind: 'stopped', startedAt: undefined, durationMs: 0, reason: this.stopReason };
    }

    let t0 = 0;
    let samples = 0;
    let writeError: Error | undefined;
    while (chunk && this.stopReason === undefined) {
      if (samples > 0) await this.sleepUntil(t0 + samplesToMs(samples) - sink.leadMs, false);
      if (this.stopReason !== undefined) break;
      try {
        await session.write(applyGain(chunk, gain()));
      } catch (err) {
        writeError = err as Error;
        break;
      }
      if (samples === 0) {
        t0 = clock.now();
        onStarted(session.startedAt ?? t0);
      }
      samples += Math.floor(chunk.length / BYTES_PER_SAMPLE);
      chunk = await this.decoder!.read(CHUNK_BYTES);
    }
    // The last chunk was handed over at its start: the item ends when it has sounded.
    if (this.stopReason === undefined && !writeError) await this.sleepUntil(t0 + samplesToMs(samples), false);
    const stopped = this.stopReason !== undefined || writeError !== undefined;
    if (stopped) this.decoder!.kill();
    const exit: DecoderExit = await this.decoder!.exited;
    // A sink that fails at the end (a sound card that never opened) turns the item into a failure.
    const closeError = await session.close().then(
      () => undefined,
      (err: Error) => err,
    );
    writeError ??= closeError;
    const startedAt = session.startedAt ?? t0;
    const durationMs = Math.round(samplesToMs(samples));
    if (writeError)
      return { kind: 'failed', startedAt, durationMs, reason: `sink ${sink.name}: ${writeError.message}` };
    if (this.stopReason !== undefined) return { kind: 'stopped', startedAt, durationMs, reason: this.stopReason };
    if (exit.code !== 0) return { kind: 'failed', startedAt, durationMs, reason: exit.error ?? 'ffmpeg failed' };
    return { kind: 'finished', startedAt, durationMs };
  }

  /** Waits for `at` (precisely for the first sample, coarsely between chunks); a stop cuts it short. */
  private sleepUntil(at: number, precise: boolean): Promise<void> {
    const { clock } = this.opts;
    if (this.stopReason !== undefined || clock.now() >= at) return Promise.resolve();
    return new Promise((resolve) => {
      let cancel = () => {};
      const done = () => {
        cancel();
        const i = this.stopListeners.indexOf(done);
        if (i >= 0) this.stopListeners.splice(i, 1);
        resolve();
      };
      this.stopListeners.push(done);
      if (precise) void clock.waitUntil(at).then(done);
      else cancel = clock.setTimer(at, done);
    });
  }

  private async discard(): Promise<void> {
    this.decoder?.kill();
    const session = await this.session;
    if (!(session instanceof Error)) await session.abort();
  }
}
