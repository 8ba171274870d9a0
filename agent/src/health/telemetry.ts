// The health part: a telemetry sample every `telemetryInterval` seconds on `units/{id}/telemetry`
// (QoS 0: a lost sample is replaced by the next one), plus a clock probe with each sample.
import { readFile, statfs } from 'node:fs/promises';
import { freemem, loadavg, uptime } from 'node:os';
import { topics, type TelemetryMessage } from '@loa/shared';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../log.js';
import type { MqttLink } from '../mqtt/link.js';
import { ClockProbe } from './clock-probe.js';

export interface UnitSnapshot {
  volume: number;
  muted: boolean;
  playing: string | null;
  planVersion: number | null;
  cacheBytes: number;
}

export interface TelemetryOptions {
  unit: string;
  dataDir: string;
  intervalS: number;
  agentVersion: string;
  link: MqttLink;
  clock: Clock;
  log: Logger;
  snapshot: () => UnitSnapshot;
}

export class Telemetry {
  private timer: NodeJS.Timeout | undefined;
  private readonly probe: ClockProbe;

  constructor(private readonly opts: TelemetryOptions) {
    this.probe = new ClockProbe(opts.unit, opts.link, opts.clock, opts.log);
  }

  start(): void {
    this.probe.start();
    this.opts.link.onConnect(() => this.send());
    this.timer = setInterval(() => void this.send(), this.opts.intervalS * 1000);
  }

  stop(): void {
    clearInterval(this.timer);
    this.probe.stop();
  }

  async send(): Promise<void> {
    if (!this.opts.link.connected) return;
    try {
      const sample = await this.sample();
      await this.opts.link.publishJson(topics.telemetry(this.opts.unit), sample, { qos: 0 });
      await this.probe.probe();
    } catch (err) {
      this.opts.log.warn(`telemetry sample failed: ${(err as Error).message}`);
    }
  }

  async sample(): Promise<TelemetryMessage> {
    const s = this.opts.snapshot();
    const msg: TelemetryMessage = {
      at: this.opts.clock.now(),
      uptimeS: Math.round(uptime()),
      load1: Math.round(loadavg()[0]! * 100) / 100,
      memFreeBytes: await memAvailable(),
      cacheBytes: s.cacheBytes,
      volume: s.volume,
      muted: s.muted,
      playing: s.playing,
      planVersion: s.planVersion,
      agentVersion: this.opts.agentVersion,
    };
    const disk = await statfs(this.opts.dataDir).catch(() => undefined);
    if (disk) msg.diskFreeBytes = disk.bavail * disk.bsize;
    const temp = await cpuTemperature();
    if (temp !== undefined) msg.cpuTempC = temp;
    if (this.probe.offsetMs !== undefined) msg.clockOffsetMs = this.probe.offsetMs;
    return msg;
  }
}

/** MemAvailable counts reclaimable cache, which MemFree (os.freemem) does not. */
async function memAvailable(): Promise<number> {
  const info = await readFile('/proc/meminfo', 'utf8').catch(() => '');
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(info);
  return m ? Number(m[1]) * 1024 : freemem();
}

async function cpuTemperature(): Promise<number | undefined> {
  const text = await readFile('/sys/class/thermal/thermal_zone0/temp', 'utf8').catch(() => undefined);
  const milli = Number(text?.trim());
  return text !== undefined && Number.isFinite(milli) ? Math.round(milli / 100) / 10 : undefined;
}
