// The health part: a telemetry sample every `telemetryInterval` seconds on `units/{id}/telemetry`
// (QoS 0: a lost sample is replaced by the next one), and the low-disk watch: free space under the
// threshold is one `fault` event when it happens (queued, so it reaches the server even if the
// link is down) and `diskLow` in every sample until it is over again (issue 6). Nothing stops
// playing on a low disk: the plan plays what is cached. Samples carry the disk's size beside its
// free bytes, so the server alerts on the free share whatever the card's size (issue #9).
import { topics, type TelemetryMessage } from '@loa/shared';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../log.js';
import type { MqttLink } from '../mqtt/link.js';
import type { EventSink } from '../events/event-queue.js';
import { readSystem, type SystemProbe } from './system.js';

export interface UnitSnapshot {
  volume: number;
  muted: boolean;
  playing: string | null;
  planVersion: number | null;
  cacheBytes: number;
  amplifierOn: boolean;
  clockOffsetMs: number | undefined;
}

export interface TelemetryOptions {
  unit: string;
  intervalS: number;
  agentVersion: string;
  link: MqttLink;
  clock: Clock;
  log: Logger;
  events: EventSink;
  system: SystemProbe;
  /** Free bytes where the agent keeps its data. */
  freeBytes: () => Promise<number>;
  /** The size of that disk, when the driver can tell: the server alerts on the free share. */
  totalBytes?: () => Promise<number | undefined>;
  /** Below this many free bytes the disk is low. */
  lowDiskBytes: number;
  snapshot: () => UnitSnapshot;
}

export class Telemetry {
  private timer: NodeJS.Timeout | undefined;
  private low = false;
  private lastFree: number | undefined;
  private lastTotal: number | undefined;

  constructor(private readonly opts: TelemetryOptions) {}

  get diskLow(): boolean {
    return this.low;
  }

  start(): void {
    this.opts.link.onConnect(() => this.send());
    this.timer = setInterval(() => void this.send(), this.opts.intervalS * 1000);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async send(): Promise<void> {
    await this.checkDisk();
    if (!this.opts.link.connected) return;
    try {
      const sample = await this.sample();
      await this.opts.link.publishJson(topics.telemetry(this.opts.unit), sample, { qos: 0 });
    } catch (err) {
      this.opts.log.warn(`telemetry sample failed: ${(err as Error).message}`);
    }
  }

  /** Compares free space with the threshold; one fault event per crossing, with hysteresis. */
  async checkDisk(): Promise<void> {
    const { lowDiskBytes, log } = this.opts;
    let free: number;
    try {
      free = await this.opts.freeBytes();
    } catch (err) {
      log.warn(`cannot read free disk space: ${(err as Error).message}`);
      return;
    }
    this.lastFree = free;
    // Read once: a card does not change size while the agent runs.
    if (this.lastTotal === undefined)
      this.lastTotal = await this.opts.totalBytes?.().catch((err: Error) => {
        log.warn(`cannot read the disk's size: ${err.message}`);
        return undefined;
      });
    if (!this.low && free < lowDiskBytes) {
      this.low = true;
      const reason = `low disk: ${mb(free)} MB free, below ${mb(lowDiskBytes)} MB; the plan plays what is cached, new media may not fit`;
      log.error(reason);
      await this.opts.events.add({ type: 'fault', reason });
    } else if (this.low && free >= lowDiskBytes * 1.1) {
      // 10 % hysteresis: a disk hovering at the threshold is not an event every sample.
      this.low = false;
      log.info(`disk space recovered: ${mb(free)} MB free`);
    }
  }

  async sample(): Promise<TelemetryMessage> {
    const s = this.opts.snapshot();
    const system = await readSystem(this.opts.system);
    const msg: TelemetryMessage = {
      at: this.opts.clock.now(),
      ...system,
      cacheBytes: s.cacheBytes,
      volume: s.volume,
      muted: s.muted,
      amplifierOn: s.amplifierOn,
      playing: s.playing,
      planVersion: s.planVersion,
      agentVersion: this.opts.agentVersion,
      diskLow: this.low,
    };
    if (this.lastFree !== undefined) msg.diskFreeBytes = Math.max(0, Math.floor(this.lastFree));
    if (this.lastTotal !== undefined) msg.diskTotalBytes = Math.max(0, Math.floor(this.lastTotal));
    if (s.clockOffsetMs !== undefined) msg.clockOffsetMs = s.clockOffsetMs;
    return msg;
  }
}

function mb(bytes: number): number {
  return Math.round(bytes / 1024 / 1024);
}
