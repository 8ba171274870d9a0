// Issue #10: the embedded broker's input, a budget of time per turn of the event loop, as its
// fan-out is (sliced-emitter.ts). Every unit of a province starts the same item at the same
// instant and sends its events then, so thousands of sockets become readable together; the loop's
// poll phase takes them all in one turn, and for each message aedes checked it, wrote its PUBACK,
// fanned it out and the server handled it: with 5,000 units one turn lasted 0.5–2.5 s, in which
// no timer fired and no HTTP request was answered (stalls logged and matched to a CPU profile).
//
// The broker hands each unit message's continuation (after its `authorizePublish`) to `run`:
// while nothing waits and this turn's budget lasts, it runs at once, so a quiet broker is as
// before; otherwise it waits in a first-in first-out queue, drained `sliceMs` at a time in the
// loop's check phase (setImmediate), with timers and I/O between slices. Order is kept (one queue),
// and a waiting unit is not read further: aedes reads a client's next bytes only once the
// messages of the last ones are handled, so the backlog is bounded by the units, not by the burst.
import { Fifo } from './fifo.js';

export interface TurnGateStats {
  /** Ran at once, and after waiting. */
  direct: number;
  queued: number;
  /** Slices drained, and the most waiting at one time. */
  slices: number;
  maxWaiting: number;
}

export class TurnGate {
  readonly stats: TurnGateStats = { direct: 0, queued: 0, slices: 0, maxWaiting: 0 };
  private readonly queue = new Fifo<() => void>();
  /** Time spent running work since the last slice began, ms. */
  private spent = 0;
  private scheduled = false;

  constructor(
    private readonly opts: {
      /** Work run per turn of the loop, ms. */
      sliceMs?: number;
      /** A continuation that threw: reported, and the others still run. */
      onError?: (err: unknown) => void;
    } = {},
  ) {}

  private get sliceMs() {
    return this.opts.sliceMs ?? 4;
  }

  get waiting(): number {
    return this.queue.size;
  }

  run(work: () => void): void {
    if (this.queue.size === 0 && this.spent < this.sliceMs) {
      this.stats.direct++;
      this.exec(work);
      // The budget is per turn: the next check phase gives it back.
      this.schedule();
      return;
    }
    this.queue.push(work);
    this.stats.queued++;
    if (this.queue.size > this.stats.maxWaiting) this.stats.maxWaiting = this.queue.size;
    this.schedule();
  }

  private exec(work: () => void) {
    const t = performance.now();
    try {
      work();
    } catch (err) {
      this.opts.onError?.(err);
    } finally {
      this.spent += performance.now() - t;
    }
  }

  private schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.slice());
  }

  /** Once per turn: a fresh budget, spent first on what waits (at least one, so it always moves). */
  private slice() {
    this.scheduled = false;
    this.spent = 0;
    if (this.queue.size === 0) return;
    this.stats.slices++;
    for (let first = true; this.queue.size > 0 && (first || this.spent < this.sliceMs); first = false)
      this.exec(this.queue.shift()!);
    this.schedule();
  }
}
