// Sends the durable event queue to `units/{id}/events` in batches and trims it on `events/ack`.
// New events go out at once; everything unacknowledged goes again on every reconnect and every
// ~10 s, so a lost publish or a server restart costs a delay, never an entry of the play log.
import { decoder, EventsAckMessage, topics, type UnitEvent } from '@loa/shared';
import type { Logger } from '../log.js';
import type { MqttLink } from '../mqtt/link.js';
import type { EventQueue } from './event-queue.js';

const ackDecoder = decoder(EventsAckMessage);
/** The schema allows 200 per message; fewer keeps each publish small on a 4G link. */
const BATCH = 100;
/** A resend round sends at most this many; the rest follow once acknowledged. */
const ROUND = 1000;

export interface EventPublisherOptions {
  unit: string;
  queue: EventQueue;
  link: MqttLink;
  log: Logger;
  resendMs?: number;
}

export class EventPublisher {
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  /** Highest seq already sent on this connection; newer ones are sent without waiting. */
  private sentUpTo = 0;
  private sending = false;

  constructor(private readonly opts: EventPublisherOptions) {}

  start(): void {
    const { link, queue, unit } = this.opts;
    link.subscribe(topics.eventsAck(unit), (_t, payload) => this.onAck(payload));
    link.onConnect(() => {
      this.sentUpTo = 0;
      return this.flush(false);
    });
    queue.onAdded(() => this.flushSoon());
    this.timer = setInterval(() => void this.flush(false), this.opts.resendMs ?? 10_000);
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.soon);
  }

  private flushSoon(): void {
    if (this.soon) return;
    // Events often come in pairs (finished + started): one message for both.
    this.soon = setTimeout(() => {
      this.soon = undefined;
      void this.flush(true);
    }, 20);
  }

  /** Publishes pending events: only the unsent ones, or the whole backlog (a resend round). */
  async flush(onlyNew: boolean): Promise<void> {
    const { link, queue, unit, log } = this.opts;
    if (this.sending || !link.connected) return;
    this.sending = true;
    let complete = true;
    try {
      const events = queue.pending.filter((e) => !onlyNew || e.seq > this.sentUpTo).slice(0, ROUND);
      for (let i = 0; i < events.length; i += BATCH) {
        const batch: UnitEvent[] = events.slice(i, i + BATCH);
        if (!(await link.publishJson(topics.events(unit), { events: batch }, { qos: 1 }))) {
          complete = false;
          break;
        }
        this.sentUpTo = Math.max(this.sentUpTo, batch[batch.length - 1]!.seq);
        log.debug(`sent events #${batch[0]!.seq}–#${batch[batch.length - 1]!.seq}`);
      }
    } finally {
      this.sending = false;
    }
    // Events added while this round was on the wire; a failed round waits for the next resend.
    if (complete && queue.pending.some((e) => e.seq > this.sentUpTo) && link.connected) this.flushSoon();
  }

  private async onAck(payload: Buffer): Promise<void> {
    const ack = ackDecoder.decode(payload);
    if (!ack.ok) {
      this.opts.log.warn(`dropped events/ack: ${ack.error}`);
      return;
    }
    const forgotten = await this.opts.queue.ack(ack.value.upTo);
    if (forgotten) this.opts.log.debug(`server acknowledged events up to #${ack.value.upTo}`);
  }
}
