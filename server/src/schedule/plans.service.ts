// Plans (DESIGN §4): derived from the bulletins, never edited by hand, versioned. For every unit the
// plan covers today and tomorrow in its commune's time; it is signed and published (retained) only
// when its content changed, so an unchanged re-plan costs the fleet nothing.
import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import {
  addDays,
  planDay,
  toZoned,
  topics,
  type PlanBody,
  type PlanItem,
  type PlanWindow,
  type OverbookedItem,
} from '@loa/shared';
import type { Bus } from '../broker/bus.js';
import type { Db } from '../db/database.js';
import type { Signer } from '../keys/signing-key.js';
import { plannerInputReader } from './planner-input.js';
import type { Hub } from '../hub.js';

export const WARMUP_MS = 3000;
/** How many past runs `runs()` remembers. */
const HISTORY = 50;

interface Run {
  why: string;
  startedAt: number;
  endedAt?: number;
  /** The communes a re-plan covered (every one when absent) and the units it planned. */
  communes?: string[];
  units?: number;
}

/**
 * What a re-plan covers: every commune, or the ones a change touched. A province holds a hundred
 * communes or more; a bulletin approved in one of them changes only its units' plans, and
 * planning and hashing all 5,000 units to find that out took ~0.4 s of the event loop.
 */
export type ReplanScope = 'all' | ReadonlySet<string>;
const DAYS_AHEAD = 2;
/**
 * The event loop is given back after this much planning and signing, and the storing and publishing
 * of what it made (issue #10). A count of units per slice (100, meant as ~20 ms) took 60–150 ms on
 * a loaded 2-core machine, the largest stalls of a province's re-plan; a time bound holds however
 * slow the machine is. Measured at 5,000 units (docs/SCALING.md): 8 ms kept the soak's worst lag
 * window at 57–61 ms, a new bulletin's plans acknowledged in 5.6–8.4 s; 20 ms, 122 ms and 4.7 s;
 * 12 ms, 64–68 ms and 4.1–6.8 s. Shorter is kinder to the loop, longer to a province-wide change.
 */
const SLICE_MS = 12;
/** Plans republished between two yields: a publish is only a hand-over to the broker. */
const REPUBLISH_SLICE = 100;

export function plansService(db: Db, signer: Signer, bus: Bus, log: FastifyBaseLogger, hub?: Hub) {
  const reader = plannerInputReader(db);
  const stored = db.prepare('SELECT version, content_hash FROM plans WHERE unit_id = ?');
  const upsert = db.prepare(
    `INSERT INTO plans (unit_id, version, content_hash, body, envelope, published_at) VALUES (@unit, @version, @hash, @body, @envelope, @now)
     ON CONFLICT (unit_id) DO UPDATE SET version = excluded.version, content_hash = excluded.content_hash, body = excluded.body,
       envelope = excluded.envelope, published_at = excluded.published_at`,
  );
  const envelopeOf = db.prepare('SELECT envelope FROM plans WHERE unit_id = ?');
  const allEnvelopes = db.prepare('SELECT unit_id, envelope FROM plans ORDER BY unit_id');
  // What was planned, kept after later plans replace it: the "planned" side of as-run reports.
  // Future items a new plan no longer holds (withdrawn, moved) are forgotten; past ones stay.
  const forgetFuture = db.prepare('DELETE FROM planned_items WHERE unit_id = ? AND scheduled_at > ?');
  const plannedItem = db.prepare(
    `INSERT INTO planned_items (unit_id, item_id, bulletin_id, scheduled_at, duration_ms, level, plan_version)
     VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (unit_id, item_id) DO UPDATE SET scheduled_at = excluded.scheduled_at,
       duration_ms = excluded.duration_ms, plan_version = excluded.plan_version`,
  );
  const recordPlanned = db.transaction((body: PlanBody, now: number) => {
    forgetFuture.run(body.unit, now);
    for (const i of body.items) {
      if (i.startAt > now)
        plannedItem.run(body.unit, i.id, i.bulletinId, i.startAt, i.media.durationMs, i.level, body.version);
    }
  });
  /** Per commune, what its last re-plan could not fit (a run covering some communes keeps the rest). */
  const overbookedBy = new Map<string, OverbookedItem[]>();

  /**
   * Plans every unit of the communes in `scope`; publishes the plans whose content changed.
   * Unqueued: see replanAll.
   */
  async function planAll(now: number, scope: ReplanScope = 'all'): Promise<{ published: number; units: number }> {
    let unitCount = 0;
    const sent: Promise<void>[] = [];
    let batch: Prepared[] = [];
    let sliceEnd = performance.now() + SLICE_MS;
    const communeIds = reader.communeIds();
    if (scope === 'all') {
      for (const id of overbookedBy.keys()) if (!communeIds.includes(id)) overbookedBy.delete(id);
    }
    for (const communeId of communeIds) {
      if (scope !== 'all' && !scope.has(communeId)) continue;
      const world = reader.world(communeId, now);
      if (!world) continue;
      const overbooked: OverbookedItem[] = [];
      const today = toZoned(now, world.commune.timeZone).date;
      const perUnit = new Map<string, { windows: PlanWindow[]; items: PlanItem[] }>();
      for (const u of world.units) perUnit.set(u.id, { windows: [], items: [] });
      for (let d = 0; d < DAYS_AHEAD; d++) {
        const result = planDay({
          date: addDays(today, d),
          communes: [world.commune],
          zones: world.zones,
          units: world.units,
          bulletins: world.bulletins,
        });
        overbooked.push(...result.overbooked);
        for (const p of result.plans) {
          const acc = perUnit.get(p.unitId);
          if (!acc) continue;
          acc.windows.push(...p.windows.map((w) => ({ startAt: w.startAt, endAt: w.endAt })));
          acc.items.push(...p.items);
        }
      }
      overbookedBy.set(communeId, overbooked);
      let horizonEnd = now;
      for (const p of perUnit.values()) for (const w of p.windows) horizonEnd = Math.max(horizonEnd, w.endAt);
      for (const [unit, content] of perUnit) {
        content.items.sort((a, b) => a.startAt - b.startAt || a.id.localeCompare(b.id));
        content.windows.sort((a, b) => a.startAt - b.startAt);
        const next = prepareIfChanged(unit, content, now, horizonEnd);
        if (next) batch.push(next);
        unitCount++;
        // Issue #10: a province re-plans thousands of units at once. Store a slice in one
        // transaction, hand its publishes to the broker without waiting for each PUBACK, and let
        // the event loop breathe before the next slice, so MQTT and the API keep flowing meanwhile.
        if (performance.now() >= sliceEnd) {
          sent.push(...storeAndPublish(batch, now));
          batch = [];
          await new Promise((r) => setImmediate(r));
          sliceEnd = performance.now() + SLICE_MS;
        }
      }
    }
    sent.push(...storeAndPublish(batch, now));
    await settle(sent);
    return { published: sent.length, units: unitCount };
  }

  interface Prepared {
    body: PlanBody;
    hash: string;
    envelope: string;
  }

  /** The unit's next plan, signed, when its content differs from the one published; else undefined. */
  function prepareIfChanged(
    unit: string,
    content: { windows: PlanWindow[]; items: PlanItem[] },
    now: number,
    horizonEnd: number,
  ): Prepared | undefined {
    const hash = createHash('sha256').update(JSON.stringify(content)).digest('hex');
    const prev = stored.get(unit) as { version: number; content_hash: string } | undefined;
    if (prev?.content_hash === hash) return undefined;
    const body: PlanBody = {
      unit,
      version: (prev?.version ?? 0) + 1,
      issuedAt: now,
      // Valid until its last window ends (at least a day): a unit cut off for longer than that
      // still plays what it holds, but a replayed old plan is refused.
      expiresAt: Math.max(horizonEnd, now + 24 * 3600_000),
      windows: content.windows,
      items: content.items,
      warmupMs: WARMUP_MS,
    };
    return { body, hash, envelope: JSON.stringify(signer.sign(body)) };
  }

  const storeAll = db.transaction((batch: Prepared[], now: number) => {
    for (const p of batch) {
      upsert.run({
        unit: p.body.unit,
        version: p.body.version,
        hash: p.hash,
        body: JSON.stringify(p.body),
        envelope: p.envelope,
        now,
      });
      recordPlanned(p.body, now);
    }
  });

  /** Stores a batch of plans (one transaction), then publishes each, retained; stored before sent. */
  function storeAndPublish(batch: Prepared[], now: number): Promise<void>[] {
    if (batch.length === 0) return [];
    storeAll(batch, now);
    return batch.map((p) => handled(publishOne(p, now)));
  }

  async function publishOne({ body, envelope }: Prepared, now: number): Promise<void> {
    await bus.publish(topics.plan(body.unit), envelope, { qos: 1, retain: true });
    log.info({ unit: body.unit, version: body.version, items: body.items.length }, 'plans: published');
    hub?.emit('plan-published', { unitId: body.unit, version: body.version, items: body.items.length, at: now });
  }

  /**
   * Publishes every stored plan again, retained. A broker that lost its retained messages (the
   * embedded one at every start, an external one restarted without persistence) would otherwise
   * leave a unit that comes back with an empty disk without its plan until the next change.
   * Units drop the same bytes they already hold, so a broker that kept them loses nothing.
   */
  async function republishAll(): Promise<number> {
    const sent: Promise<void>[] = [];
    let n = 0;
    // Read whole first: a statement left iterating across the yields below would keep the
    // connection busy for every other query meanwhile.
    for (const row of allEnvelopes.all() as Array<{ unit_id: string; envelope: string }>) {
      sent.push(handled(bus.publish(topics.plan(row.unit_id), row.envelope, { qos: 1, retain: true })));
      if (++n % REPUBLISH_SLICE === 0) await new Promise((r) => setImmediate(r));
    }
    await settle(sent);
    return n;
  }

  /** Marks a publish as handled at once (awaited later, after the loop's yields), keeping its outcome. */
  function handled<T>(p: Promise<T>): Promise<T> {
    p.catch(() => undefined);
    return p;
  }

  /** Waits for every publish; rethrows the first failure once all are done (none left unhandled). */
  async function settle(sent: Promise<unknown>[]): Promise<void> {
    const failed = (await Promise.allSettled(sent)).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  // One queue for every re-plan and republish, whoever asks (a change, a cron job, the start):
  // two runs interleaved could let an older plan land on the broker after a newer one.
  let timer: NodeJS.Timeout | undefined;
  /** The communes the scheduled re-plan will cover: what the changes since it was asked touched. */
  let pendingScope: 'all' | Set<string> | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const history: Run[] = [];
  let queued = 0;
  function enqueue<T>(why: string, work: (run: Run) => Promise<T>): Promise<T> {
    queued++;
    const next = running.then(async () => {
      const run: Run = { why, startedAt: Date.now() };
      history.push(run);
      if (history.length > HISTORY) history.shift();
      try {
        return await work(run);
      } finally {
        run.endedAt = Date.now();
        queued--;
      }
    });
    running = next.catch((err: Error) => log.error({ err: err.message, why }, 'plans: run failed'));
    return next;
  }
  /** A re-plan as a queued run that records what it covered. */
  const replan = (now: number | undefined, scope: ReplanScope) => async (run: Run) => {
    if (scope !== 'all') run.communes = [...scope];
    const result = await planAll(now ?? Date.now(), scope);
    run.units = result.units;
    return result;
  };
  return {
    /**
     * Re-plans every unit now, after any run under way (never interleaved with one). `now`, when
     * not given, is read when the run starts, so a queued run never plans with an older clock.
     */
    replanAll(now?: number, why = 'request'): Promise<{ published: number; units: number }> {
      return enqueue(why, replan(now, 'all'));
    },
    /**
     * Publishes every stored plan again (see republishAll), after any re-plan under way: never
     * interleaved with one, so an older envelope can never land on the broker after a newer one.
     */
    republish(): Promise<void> {
      return enqueue('republish', () => republishAll()).then(() => undefined);
    },
    /**
     * Re-plans shortly after a change; many changes in a burst make one re-plan. `communeIds` are
     * the communes the change touched (every one when not given); a burst covers all it touched.
     */
    schedule(delayMs = 100, communeIds?: readonly string[]) {
      pendingScope =
        communeIds === undefined || pendingScope === 'all' ? 'all' : new Set([...(pendingScope ?? []), ...communeIds]);
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        const scope = pendingScope ?? 'all';
        pendingScope = undefined;
        enqueue('change', replan(undefined, scope)).catch(() => undefined); // logged by enqueue
      }, delayMs);
    },
    /**
     * Whether plans are being made or published, or a change will re-plan shortly: units are
     * about to get new plans (and to want their media: media/distribution.ts waits for them).
     */
    busy: () => queued > 0 || timer !== undefined,
    async idle() {
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
        pendingScope = undefined;
      }
      await running;
    },
    /** The latest runs, oldest first (why, when, what they covered): for tests and diagnosis. */
    runs: (): readonly Readonly<Run>[] => history.map((r) => ({ ...r })),
    overbooked: (): OverbookedItem[] => [...overbookedBy.values()].flat(),
    body(unit: string): PlanBody | undefined {
      const row = db.prepare('SELECT body FROM plans WHERE unit_id = ?').get(unit) as { body: string } | undefined;
      return row ? (JSON.parse(row.body) as PlanBody) : undefined;
    },
    envelope: (unit: string) => (envelopeOf.get(unit) as { envelope: string } | undefined)?.envelope,
  };
}
export type PlansService = ReturnType<typeof plansService>;
