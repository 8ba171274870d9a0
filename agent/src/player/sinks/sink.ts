// Where PCM goes (DESIGN §6: ALSA on a board, a WAV file or nothing in tests). The player paces
// PCM in real time; a sink only writes, and notes the instant its first sample arrived.

export interface SinkMeta {
  itemId: string;
  sha256: string;
}

export interface SinkSession {
  /** Takes mono 48 kHz s16le PCM. The first call is the item's real start. */
  write(pcm: Buffer): Promise<void>;
  /** Wall-clock ms when the first sample reached the sink, once it has. */
  readonly startedAt: number | undefined;
  /** The item ended (finished or stopped): keep what sounded. */
  close(): Promise<void>;
  /** The item never started: leave no trace. */
  abort(): Promise<void>;
}

export interface Sink {
  readonly name: string;
  /**
   * How far ahead of real time the player may write. 0 for sinks that do not play anything;
   * a sound card needs a small buffer so a late timer does not become a click.
   */
  readonly leadMs: number;
  /**
   * Opened ahead of the instant, with the decoder, so the start costs nothing: resolves once the
   * device is ready to sound (a sound card open), rejects if it cannot be.
   */
  open(meta: SinkMeta): Promise<SinkSession>;
  /** Lets go of the device (agent stopping). */
  close?(): Promise<void>;
}
