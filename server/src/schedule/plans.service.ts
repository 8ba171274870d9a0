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
const DAYS_AHEAD = 2;

export function plansService(db: Db, signer: Signer, bus: Bus, log: FastifyBaseLogger, hub?: Hub) {
  const reader = plannerInputReader(db);
  const stored = db.prepare('SELECT version, content_hash FROM plans WHERE unit_id = ?');
  const upsert = db.prepare(
    `INSERT INTO plans (unit_id, version, content_hash, body, envelope, published_at) VALUES (@unit, @version, @hash, @body, @envelope, @now)
     ON CONFLICT (unit_id) DO UPDATE SET version = excluded.version, content_hash = excluded.content_hash, body = excluded.body,
       envelope = excluded.envelope, published_at = excluded.published_at`,
  );
  const envelopeOf = db.prepare('SELECT envelope FROM plans WHERE unit_id = ?');
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
      if (i.startAt > now) plannedItem.run(body.unit, i.id, i.bulletinId, i.startAt, i.media.durationMs, i.level, body.version);
    }
  });
  let lastOverbooked: OverbookedItem[] = [];

  /** Plans every unit of every commune; publishes the plans whose content changed. */
  async function replanAll(now = Date.now()): Promise<{ published: number; units: number }> {
    let published = 0;
    let unitCount = 0;
    const overbooked: OverbookedItem[] = [];
    for (const communeId of reader.communeIds()) {
      const world = reader.world(communeId, now);
      if (!world) continue;
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
      let horizonEnd = now;
      for (const p of perUnit.values()) for (const w of p.windows) horizonEnd = Math.max(horizonEnd, w.endAt);
      for (const [unit, content] of perUnit) {
        unitCount++;
        content.items.sort((a, b) => a.startAt - b.startAt || a.id.localeCompare(b.id));
        content.windows.sort((a, b) => a.startAt - b.startAt);
        if (await publishIfChanged(unit, content, now, horizonEnd)) published++;
      }
    }
    lastOverbooked = overbooked;
    return { published, units: unitCount };
  }

  async function publishIfChanged(
    unit: string,
    content: { windows: PlanWindow[]; items: PlanItem[] },
    now: number,
    horizonEnd: number,
  ) {
    const hash = createHash('sha256').update(JSON.stringify(content)).digest('hex');
    const prev = stored.get(unit) as { version: number; content_hash: string } | undefined;
    if (prev?.content_hash === hash) return false;
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
    const envelope = JSON.stringify(signer.sign(body));
    upsert.run({ unit, version: body.version, hash, body: JSON.stringify(body), envelope, now });
    recordPlanned(body, now);
    await bus.publish(topics.plan(unit), envelope, { qos: 1, retain: true });
    log.info({ unit, version: body.version, items: body.items.length }, 'plans: published');
    hub?.emit('plan-published', { unitId: unit, version: body.version, items: body.items.length, at: now });
    return true;
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  return {
    replanAll,
    /** Re-plans shortly after a change; many changes in a burst make one re-plan. */
    schedule(delayMs = 100) {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        running = running
          .then(() => replanAll())
          .catch((err: Error) => log.error({ err: err.message }, 'plans: re-plan failed'));
      }, delayMs);
    },
    async idle() {
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      await running;
    },
    overbooked: () => lastOverbooked,
    body(unit: string): PlanBody | undefined {
      const row = db.prepare('SELECT body FROM plans WHERE unit_id = ?').get(unit) as { body: string } | undefined;
      return row ? (JSON.parse(row.body) as PlanBody) : undefined;
    },
    envelope: (unit: string) => (envelopeOf.get(unit) as { envelope: string } | undefined)?.envelope,
  };
}
export type PlansService = ReturnType<typeof plansService>;
