// The main thread's side of the fleet benchmark's worker threads: splits the units among them,
// and merges what they report.
import type { Worker } from 'node:worker_threads';
import type { FleetTiming, WorkerMessage, WorkerReport, WorkerRequest } from './fleet-worker.js';
import { tsWorker } from './ts-worker.js';
import type { UnitLogin } from './units.js';

export type FleetReport = Omit<WorkerReport, 'badSamples'> & { badSamples: string[] };

export class FleetWorkers {
  private readonly workers: Worker[] = [];
  private nextId = 0;
  private readonly waiting = new Map<number, { left: number; parts: WorkerReport[]; done(r: FleetReport): void }>();
  private failure: Error | undefined;

  /** Starts `count` workers and connects `units` across them, to `urls` in turn. */
  async connect(opts: {
    count: number;
    urls: string[];
    serverKeyPem: string;
    units: UnitLogin[];
    timing: FleetTiming;
  }): Promise<void> {
    const per = Math.ceil(opts.units.length / opts.count);
    await Promise.all(
      Array.from({ length: opts.count }, (_, w) => {
        const slice = opts.units.slice(w * per, (w + 1) * per);
        if (slice.length === 0) return Promise.resolve();
        const worker = tsWorker(new URL('./fleet-worker.ts', import.meta.url));
        this.workers.push(worker);
        return new Promise<void>((resolve, reject) => {
          worker.on('error', (err) => {
            this.failure = err;
            reject(err);
          });
          worker.on('message', (m: WorkerMessage) => {
            if (m.type === 'connected') resolve();
            else if (m.type === 'error') reject((this.failure = new Error(m.message)));
            else if (m.type === 'report') this.collect(m.id, m.report);
          });
          const req: WorkerRequest = {
            type: 'connect',
            urls: opts.urls,
            serverKeyPem: opts.serverKeyPem,
            units: slice,
            timing: opts.timing,
          };
          worker.postMessage(req);
        });
      }),
    );
  }

  tell(req: WorkerRequest): void {
    for (const w of this.workers) w.postMessage(req);
  }

  /** What every unit has seen, merged; `planSince` and `media` as in WorkerRequest. */
  report(query: { planSince?: number; media?: string } = {}): Promise<FleetReport> {
    if (this.failure) return Promise.reject(this.failure);
    const id = ++this.nextId;
    return new Promise((done) => {
      this.waiting.set(id, { left: this.workers.length, parts: [], done });
      this.tell({ type: 'report', id, ...query });
    });
  }

  private collect(id: number, part: WorkerReport): void {
    const w = this.waiting.get(id);
    if (!w) return;
    w.parts.push(part);
    if (--w.left > 0) return;
    this.waiting.delete(id);
    const sum = (k: keyof WorkerReport) => w.parts.reduce((s, p) => s + (p[k] as number), 0);
    const counters = { ...w.parts[0]!.counters };
    for (const k of Object.keys(counters) as Array<keyof typeof counters>)
      counters[k] = w.parts.reduce((s, p) => s + p.counters[k], 0);
    w.done({
      units: sum('units'),
      connected: sum('connected'),
      counters,
      planned: sum('planned'),
      plannedLastAt: Math.max(...w.parts.map((p) => p.plannedLastAt)),
      holding: sum('holding'),
      holdingLastAt: Math.max(...w.parts.map((p) => p.holdingLastAt)),
      plays: sum('plays'),
      eventsLastSeq: Object.assign({}, ...w.parts.map((p) => p.eventsLastSeq)) as Record<string, number>,
      unacked: sum('unacked'),
      bad: sum('bad'),
      badSamples: w.parts.flatMap((p) => p.badSamples).slice(0, 5),
    });
  }

  /** Disconnects every unit (each leaving its offline status) and ends the workers. */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 30_000);
            w.on('message', (m: WorkerMessage) => m.type === 'closed' && (clearTimeout(timer), resolve()));
            w.postMessage({ type: 'close' } satisfies WorkerRequest);
          }),
      ),
    );
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
