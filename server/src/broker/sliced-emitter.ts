// Issue #10: the embedded broker's fan-out, a slice at a time. aedes hands every message to each
// matching subscription through its `mq` emitter; each delivery then writes to that client's
// socket in the loop's next check phase. A 256 KiB media chunk for 5,000 units was 1.3 GB written
// in one turn of the loop: 1–3 s in which the server read nothing, answered no HTTP request and
// stored no event. This wrapper around any mqemitter-compatible emitter (its public API only: on,
// removeListener, emit, close) queues deliveries and starts a budget of them per turn of the loop
// (setImmediate between slices). While the queue is empty and the turn's budget lasts, a delivery
// starts at once, so a small fan-out behaves as before.
//
// The budget adapts to what the writes cost on this machine: a delivery counts one unit plus one
// per 16 KiB of payload; when the turn that wrote the last slice took longer than twice `turnMs`,
// the next slice is halved, and while turns stay shorter than `turnMs` it grows by a quarter.
// Socket writes are most of the cost (a syscall each, and the copy of the payload), and they vary
// with the machine and its load far more than a fixed count could follow.
//
// Order: aedes drops a message whose number (brokerCounter) is not above the last one the same
// client received (its guard against a message matched by two of a client's subscriptions), so
// deliveries to one client must start in the order the broker numbered them: within a lane, the
// queue is first in, first out. Lanes (`laneOf`) let deliveries to different clients pass each
// other: the embedded broker puts what units publish (statuses, events, telemetry, wants: only the
// control plane may subscribe to those, acl.ts) ahead of what the control plane publishes (plans,
// commands, media chunks: only units receive those), so a unit's acknowledgement is not stuck
// behind a media chunk being fanned out to the whole province. A client that received messages of
// two lanes could see them out of order: the caller's rules must make that impossible.
//
// The emit callback (aedes sends PUBACK on it) still comes once every delivery is written, so a
// publisher waiting for its PUBACK (the media distributor does) is paced by the fan-out.
import mqemitter from 'mqemitter';
import { Fifo } from './fifo.js';

export type Message = { topic: string; payload?: unknown } & Record<string, unknown>;
export type Listener = (message: Message, done: () => void) => void;

/** The part of mqemitter's API that aedes uses. */
export interface MqEmitter {
  on(topic: string, listener: Listener, done?: () => void): unknown;
  removeListener(topic: string, listener: Listener, done?: () => void): unknown;
  emit(message: Message, cb?: (err?: Error) => void): unknown;
  close(cb: () => void): unknown;
}

export interface SliceBudget {
  /** Units of work started per turn at first, and its bounds (equal bounds: a fixed budget). */
  startUnits: number;
  minUnits: number;
  maxUnits: number;
  /** A turn that writes a slice should take about this long, ms. */
  turnMs: number;
  /** At most this long starting deliveries in one slice, ms. */
  sliceMs: number;
}

/** A delivery's cost: one unit, and one more per this many bytes of payload. */
export const UNIT_BYTES = 16 * 1024;

/**
 * A turn of ~10 ms keeps the event loop's lag well under the 50 ms of issue #10; at least 64
 * units (four 256 KiB chunks, or 64 plans) per turn keep a fan-out moving on a saturated machine.
 */
export const DEFAULT_SLICE: SliceBudget = { startUnits: 256, minUnits: 64, maxUnits: 4096, turnMs: 10, sliceMs: 5 };

interface Delivery {
  listener: Listener;
  message: Message;
  done: () => void;
  units: number;
}

function unitsOf(message: Message): number {
  const p = message.payload as { length?: unknown } | undefined;
  return 1 + (p && typeof p.length === 'number' ? Math.floor(p.length / UNIT_BYTES) : 0);
}

/** Counters, for tests and diagnosis. */
export interface SlicedStats {
  /** Deliveries started at once, and after waiting in the queue. */
  direct: number;
  queued: number;
  /** Turns of the loop that started queued deliveries. */
  slices: number;
  /** The most deliveries waiting at one time. */
  maxWaiting: number;
  /** The budget of the latest slice, in units. */
  units: number;
}

export class SlicedEmitter implements MqEmitter {
  readonly stats: SlicedStats;
  private readonly budget: SliceBudget;
  /** One queue per lane, served in lane order. */
  private readonly lanes: Fifo<Delivery>[];
  private readonly laneOf: (message: Message) => number;
  /** Our wrapper of each listener, per topic it listens to (removeListener is given the original). */
  private readonly wrapped = new Map<Listener, Map<string, Listener>>();
  /** This turn's budget and what is spent of it, in units. */
  private units: number;
  private used = 0;
  private tickScheduled = false;
  private inTick = false;
  /** When the last slice ended, if it left deliveries waiting (the next turn writes it). */
  private sliceEnd: number | undefined;

  /**
   * `laneOf` sorts a message into one of `lanes` lanes (0 is served first); by default there is one.
   */
  constructor(
    private readonly inner: MqEmitter,
    opts: { budget?: Partial<SliceBudget>; lanes?: number; laneOf?: (message: Message) => number } = {},
  ) {
    this.budget = { ...DEFAULT_SLICE, ...opts.budget };
    this.units = Math.min(this.budget.maxUnits, Math.max(this.budget.minUnits, this.budget.startUnits));
    this.stats = { direct: 0, queued: 0, slices: 0, maxWaiting: 0, units: this.units };
    this.lanes = Array.from({ length: Math.max(1, opts.lanes ?? 1) }, () => new Fifo<Delivery>());
    this.laneOf = opts.laneOf ?? (() => 0);
  }

  /** Deliveries waiting for a later turn. */
  get waiting(): number {
    let n = 0;
    for (const lane of this.lanes) n += lane.size;
    return n;
  }

  on(topic: string, listener: Listener, done?: () => void): this {
    // The broker's own $SYS bookkeeping is not a client's fan-out: left as it is.
    if (topic.startsWith('$SYS/')) {
      this.inner.on(topic, listener, done);
      return this;
    }
    let byTopic = this.wrapped.get(listener);
    if (!byTopic) this.wrapped.set(listener, (byTopic = new Map()));
    // One wrapper per listener and topic, so the inner emitter sees the same identities it would
    // have seen without us (a listener added twice is one function added twice).
    let wrapper = byTopic.get(topic);
    if (!wrapper) {
      wrapper = (message, cb) => this.deliver(listener, message, cb);
      byTopic.set(topic, wrapper);
    }
    this.inner.on(topic, wrapper, done);
    return this;
  }

  removeListener(topic: string, listener: Listener, done?: () => void): this {
    const byTopic = this.wrapped.get(listener);
    const wrapper = byTopic?.get(topic);
    if (byTopic && wrapper) {
      byTopic.delete(topic);
      if (byTopic.size === 0) this.wrapped.delete(listener);
    }
    this.inner.removeListener(topic, wrapper ?? listener, done);
    return this;
  }

  emit(message: Message, cb?: (err?: Error) => void): this {
    this.inner.emit(message, cb);
    return this;
  }

  close(cb: () => void): this {
    this.inner.close(cb);
    return this;
  }

  private deliver(listener: Listener, message: Message, done: () => void) {
    const d: Delivery = { listener, message, done, units: unitsOf(message) };
    const lane = this.lanes[Math.min(this.lanes.length - 1, Math.max(0, this.laneOf(message) | 0))]!;
    if (lane.size === 0 && this.used + d.units <= this.units) {
      this.stats.direct++;
      this.start(d);
      return;
    }
    lane.push(d);
    this.stats.queued++;
    this.stats.maxWaiting = Math.max(this.stats.maxWaiting, this.waiting);
    this.scheduleTick();
  }

  private start(d: Delivery) {
    this.used += d.units;
    // The budget is per turn: the next check phase gives it back.
    if (!this.inTick) this.scheduleTick();
    d.listener.call(this, d.message, d.done);
  }

  private scheduleTick() {
    if (this.tickScheduled) return;
    this.tickScheduled = true;
    setImmediate(() => this.tick());
  }

  /**
   * Once per turn, in the check phase: a fresh budget, sized by how long the turn that wrote the
   * last slice took, spent first on the queue (at least one delivery, so it always moves). What
   * is left of it until the next check phase is for deliveries started at once. The next tick is
   * scheduled after this slice's writes (aedes schedules each as it starts), so the time until
   * it includes them.
   */
  private tick() {
    this.tickScheduled = false;
    const now = performance.now();
    const { minUnits, maxUnits, turnMs, sliceMs } = this.budget;
    if (this.sliceEnd !== undefined) {
      const turn = now - this.sliceEnd;
      if (turn > 2 * turnMs) this.units = Math.max(minUnits, Math.floor(this.units / 2));
      else if (turn < turnMs) this.units = Math.min(maxUnits, Math.ceil(this.units * 1.25));
      this.sliceEnd = undefined;
    }
    this.used = 0;
    if (this.waiting === 0) return;
    this.stats.slices++;
    this.stats.units = this.units;
    const until = now + sliceMs;
    let first = true;
    this.inTick = true;
    try {
      for (const lane of this.lanes) {
        for (let d = lane.peek(); d; d = lane.peek()) {
          if (!first && (this.used + d.units > this.units || performance.now() > until)) break;
          first = false;
          lane.shift();
          this.start(d);
        }
      }
    } finally {
      this.inTick = false;
    }
    if (this.waiting > 0) this.sliceEnd = performance.now();
    this.scheduleTick();
  }
}

/** A unit's client id (broker/embedded.ts pins it): what such a client publishes goes in lane 0. */
const UNIT_CLIENT = 'loa-unit-';

/**
 * The embedded broker's emitter: aedes's own in-memory one (same options as aedes gives it),
 * sliced, with what units publish ahead of what the control plane publishes (see the top).
 */
export function embeddedFanOut(budget?: Partial<SliceBudget>): SlicedEmitter {
  // As aedes configures its own: at most 100 messages fanning out at once, `a/#` matching `a`.
  const inner = mqemitter({ concurrency: 100, matchEmptyLevels: true }) as unknown as MqEmitter;
  return new SlicedEmitter(inner, {
    budget,
    lanes: 2,
    laneOf: (m) => (typeof m.clientId === 'string' && m.clientId.startsWith(UNIT_CLIENT) ? 0 : 1),
  });
}
