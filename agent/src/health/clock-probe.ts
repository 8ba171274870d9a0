// NTP-style estimate of the board's clock against the server's over `units/{id}/time` →
// `time/reply` (issue 7): a round of several probes, the one with the shortest round trip kept
// (its error is at most half that round trip), the offset applied to the agent's corrected clock
// and reported in telemetry. Only the server may publish `time/reply` (broker ACL, DESIGN §7).
import { decoder, TimeReply, topics } from '@loa/shared';
import type { Logger } from '../log.js';
import type { MqttLink } from '../mqtt/link.js';

const replyDecoder = decoder(TimeReply);

export interface ClockProbeOptions {
  unit: string;
  link: MqttLink;
  /** The board's own clock, uncorrected: what the offset is measured against. */
  base: () => number;
  log: Logger;
  /** Called with each round's best offset (server minus board, ms). */
  onOffset?: (offsetMs: number, rttMs: number) => void;
  probes?: number;
  spacingMs?: number;
  intervalMs?: number;
}

/** A reply slower than this says more about the link than about the clocks. */
const MAX_RTT_MS = 5000;
/** Replies to a round's probes are awaited this long after its last probe. */
const SETTLE_MS = 1500;

interface Sample {
  offsetMs: number;
  rttMs: number;
}

export class ClockProbe {
  private readonly outstanding = new Set<number>();
  private samples: Sample[] = [];
  private best: Sample | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly opts: ClockProbeOptions) {}

  /** Server clock minus the board's, in ms, from the last round that got a reply. */
  get offsetMs(): number | undefined {
    return this.best?.offsetMs;
  }

  get rttMs(): number | undefined {
    return this.best?.rttMs;
  }

  start(): void {
    const { link, unit } = this.opts;
    this.stopped = false;
    link.subscribe(topics.timeReply(unit), (_t, payload) => this.onReply(payload));
    link.onConnect(() => {
      void this.round();
    });
    this.timer = setInterval(() => void this.round(), this.opts.intervalMs ?? 300_000);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.opts.link.unsubscribe(topics.timeReply(this.opts.unit));
  }

  /** One round of probes; resolves once its replies are in (or late). Rounds never overlap. */
  round(): Promise<void> {
    this.running ??= this.runRound().finally(() => (this.running = undefined));
    return this.running;
  }

  private async runRound(): Promise<void> {
    const { link, unit, base, log } = this.opts;
    const probes = this.opts.probes ?? 5;
    const spacing = this.opts.spacingMs ?? 200;
    this.samples = [];
    this.outstanding.clear();
    for (let i = 0; i < probes && !this.stopped; i++) {
      if (i > 0) await sleep(spacing);
      const t0 = base();
      this.outstanding.add(t0);
      if (!(await link.publishJson(topics.time(unit), { t0 }, { qos: 0 }))) this.outstanding.delete(t0);
    }
    await sleep(Math.min(SETTLE_MS, spacing * 2 + 500));
    this.outstanding.clear();
    if (this.stopped) return;
    const best = this.samples.sort((a, b) => a.rttMs - b.rttMs)[0];
    if (!best) {
      log.debug('clock probe: no reply this round');
      return;
    }
    this.best = best;
    this.opts.onOffset?.(best.offsetMs, best.rttMs);
  }

  private onReply(payload: Buffer): void {
    const t3 = this.opts.base();
    const reply = replyDecoder.decode(payload);
    if (!reply.ok) {
      this.opts.log.warn(`dropped time/reply: ${reply.error}`);
      return;
    }
    const { t0, t1, t2 } = reply.value;
    if (!this.outstanding.delete(t0)) {
      this.opts.log.debug('dropped time/reply: not an answer to a probe of this round');
      return;
    }
    const rttMs = t3 - t0 - (t2 - t1);
    if (t2 < t1 || rttMs < 0 || rttMs > MAX_RTT_MS) {
      this.opts.log.warn(`dropped time/reply: implausible times (round trip ${rttMs} ms, server ${t2 - t1} ms)`);
      return;
    }
    this.samples.push({ offsetMs: Math.round((t1 - t0 + (t2 - t3)) / 2), rttMs });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
