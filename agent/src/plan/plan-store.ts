// The plan part: verifies signed plans (DESIGN §7), keeps the last good one on disk as the raw
// envelope (so it is verified again at every start) and hands it to whoever plays it.
// Rule 6: a unit that boots with no link plays from the plan it already holds.
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { decoder, PlanBody } from '@loa/shared';
import { openEnvelope } from '@loa/shared/envelope';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../log.js';
import { readIfExists, writeFileAtomic } from '../fs/durable.js';

const planDecoder = decoder(PlanBody);

export interface PlanStoreOptions {
  dataDir: string;
  unit: string;
  keys: ReadonlyMap<string, KeyObject>;
  clock: Clock;
  log: Logger;
  onPlan: (plan: PlanBody) => void;
}

export class PlanStore {
  private plan: PlanBody | undefined;
  private rawHeld: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: PlanStoreOptions) {}

  get current(): PlanBody | undefined {
    return this.plan;
  }

  get version(): number | null {
    return this.plan?.version ?? null;
  }

  private get file(): string {
    return join(this.opts.dataDir, 'plan.json');
  }

  /** Loads and re-verifies the stored plan; a bad or foreign one is ignored, not fatal. */
  async start(): Promise<void> {
    const raw = await readIfExists(this.file);
    if (!raw) return;
    const opened = this.open(raw, 'stored plan');
    if (!opened) return;
    this.plan = opened;
    this.rawHeld = raw.toString('utf8');
    if (opened.expiresAt <= this.opts.clock.now()) {
      // Still the version held, so an older plan replayed by anyone is refused after a reboot;
      // but nothing of it plays.
      this.opts.log.info(
        `stored plan v${opened.version} expired at ${iso(opened.expiresAt)}; nothing to play until a new one`,
      );
      return;
    }
    this.opts.log.info(`loaded stored plan v${opened.version} (${opened.items.length} items)`);
    this.opts.onPlan(opened);
  }

  stop(): Promise<unknown> {
    return this.queue;
  }

  /** Handles one payload from `units/{id}/plan`; plans are taken one at a time, in order. */
  receive(payload: Buffer): Promise<boolean> {
    const next = this.queue.then(() => this.take(payload));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async take(payload: Buffer): Promise<boolean> {
    const { log, clock } = this.opts;
    // The broker re-delivers the retained plan at every reconnect: the same bytes are no news.
    if (this.rawHeld !== undefined && payload.toString('utf8') === this.rawHeld) {
      log.debug(`plan v${this.plan?.version} already held`);
      return false;
    }
    const plan = this.open(payload, 'plan');
    if (!plan) return false;
    if (plan.expiresAt <= clock.now()) {
      log.warn(`dropped plan v${plan.version}: expired at ${iso(plan.expiresAt)}`);
      return false;
    }
    if (this.plan && plan.version <= this.plan.version) {
      log.warn(`dropped plan v${plan.version}: not newer than v${this.plan.version} held`);
      return false;
    }
    try {
      await writeFileAtomic(this.file, payload);
    } catch (err) {
      // Still play it: losing it at the next reboot is better than not airing today.
      log.error(`could not store plan v${plan.version}: ${(err as Error).message}`);
    }
    this.plan = plan;
    this.rawHeld = payload.toString('utf8');
    log.info(
      `plan v${plan.version} accepted: ${plan.items.length} items, ${plan.windows.length} windows, expires ${iso(plan.expiresAt)}`,
    );
    this.opts.onPlan(plan);
    return true;
  }

  /** Verifies signature, schema and unit; logs the reason and returns undefined on any failure. */
  private open(payload: Buffer, what: string): PlanBody | undefined {
    const opened = openEnvelope(payload, this.opts.keys, planDecoder);
    if (!opened.ok) {
      this.opts.log.warn(`dropped ${what}: ${opened.error}`);
      return undefined;
    }
    if (opened.value.unit !== this.opts.unit) {
      this.opts.log.warn(
        `dropped ${what} v${opened.value.version}: for unit ${opened.value.unit}, not ${this.opts.unit}`,
      );
      return undefined;
    }
    return opened.value;
  }
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
