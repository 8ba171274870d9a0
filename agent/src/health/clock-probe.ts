// NTP-style probe of the board's clock against the server's (`units/{id}/time` → `time/reply`).
// Only measured and reported in telemetry: the reply is not signed, so it never sets the clock.
import { decoder, TimeReply, topics } from '@loa/shared';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../log.js';
import type { MqttLink } from '../mqtt/link.js';

const replyDecoder = decoder(TimeReply);

export class ClockProbe {
  private lastT0: number | undefined;
  private offset: number | undefined;

  constructor(
    private readonly unit: string,
    private readonly link: MqttLink,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Server clock minus ours, in ms, from the last good reply. */
  get offsetMs(): number | undefined {
    return this.offset;
  }

  start(): void {
    this.link.subscribe(topics.timeReply(this.unit), (_t, payload) => this.onReply(payload));
  }

  stop(): void {
    this.link.unsubscribe(topics.timeReply(this.unit));
  }

  async probe(): Promise<void> {
    const t0 = this.clock.now();
    if (await this.link.publishJson(topics.time(this.unit), { t0 }, { qos: 0 })) this.lastT0 = t0;
  }

  private onReply(payload: Buffer): void {
    const t3 = this.clock.now();
    const reply = replyDecoder.decode(payload);
    if (!reply.ok) {
      this.log.warn(`dropped time/reply: ${reply.error}`);
      return;
    }
    const { t0, t1, t2 } = reply.value;
    if (t0 !== this.lastT0) {
      this.log.debug('dropped time/reply: not an answer to the last probe');
      return;
    }
    this.lastT0 = undefined;
    this.offset = Math.round((t1 - t0 + (t2 - t3)) / 2);
  }
}
