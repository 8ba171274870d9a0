// The amplifier part (rule 5): the relay is on while anyone holds it — the scheduler from a
// window's warm-up to the end of its last item, a test tone, later a live session — and off
// otherwise, so a cluster does not hum all day. It is set off at start whatever it was before:
// an agent that crashed mid-item never leaves the amplifier on (issue 7).
import type { Logger } from '../log.js';
import type { EventSink } from '../events/event-queue.js';
import type { Relay } from './relay.js';

export interface AmplifierOptions {
  relay: Relay;
  log: Logger;
  events: EventSink;
}

export class Amplifier {
  private readonly holds = new Map<symbol, string>();
  /** The state the relay last took; undefined until the first switch. */
  private state: boolean | undefined;
  private queue: Promise<void> = Promise.resolve();
  private failing = false;
  private stopped = false;
  private readonly listeners: ((on: boolean) => void)[] = [];

  constructor(private readonly opts: AmplifierOptions) {}

  get on(): boolean {
    return this.state === true;
  }

  get relayName(): string {
    return this.opts.relay.name;
  }

  /** Called after every change of state the relay took. */
  onChange(fn: (on: boolean) => void): void {
    this.listeners.push(fn);
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.opts.log.info(`amplifier relay ${this.opts.relay.name}: set off at start`);
    await this.switch('agent start');
  }

  /** Keeps the amplifier on until the returned function is called (once). */
  hold(reason: string): () => void {
    const token = Symbol(reason);
    this.holds.set(token, reason);
    this.apply(reason);
    return () => {
      if (!this.holds.delete(token)) return;
      this.apply(`${reason} ended`);
    };
  }

  holding(reason: string): boolean {
    return [...this.holds.values()].includes(reason);
  }

  /** Resolves once every switch asked for so far is done. */
  idle(): Promise<void> {
    return this.queue;
  }

  async stop(): Promise<void> {
    this.holds.clear();
    await this.switch('agent stopping');
    this.stopped = true;
    await this.queue;
    await this.opts.relay.close().catch((err: Error) => this.opts.log.warn(`relay close: ${err.message}`));
  }

  private apply(reason: string): void {
    if (this.stopped) return;
    void this.switch(reason);
  }

  private switch(reason: string): Promise<void> {
    const next = this.queue.then(async () => {
      // Read when the switch runs: the holds may have changed again while an earlier one ran.
      const wanted = !this.stopped && this.holds.size > 0;
      if (wanted === this.state) return;
      const { relay, log, events } = this.opts;
      try {
        await relay.set(wanted);
        this.state = wanted;
        this.failing = false;
        log.info(`amplifier ${wanted ? 'on' : 'off'} (${reason})`);
        for (const fn of this.listeners) fn(wanted);
      } catch (err) {
        const message = `amplifier relay ${relay.name} could not be set ${wanted ? 'on' : 'off'}: ${(err as Error).message}`;
        log.error(message);
        if (!this.failing) {
          this.failing = true;
          await events.add({ type: 'fault', reason: message.slice(0, 500) });
        }
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}
