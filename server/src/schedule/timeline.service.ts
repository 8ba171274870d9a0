// What airs where on a date: the commune-wide timeline and one unit's plan, computed by the same
// planner that builds the published plans, so what the operator sees is what units will play.
import { createHash } from 'node:crypto';
import {
  isLocalDate,
  planDay,
  toZoned,
  type OverbookedItem,
  type PlannerBulletin,
  type PlannerResult,
  type UnitDayPlan,
} from '@loa/shared';
import type { Db } from '../db/database.js';
import { HttpError } from '../http-error.js';
import { plannerInputReader } from './planner-input.js';

/**
 * Commune timelines kept as sent, with the inputs they were planned from, at most this many bytes
 * in all. One of 5,000 units took ~50 ms of the loop to plan and serialize on every dashboard
 * reload (issue #10), for an answer that changes only when its inputs do; kept, ~10 ms, and ~5 ms
 * since the units and zones are no longer read again while unchanged.
 */
const KEPT_BYTES = 32 * 1024 * 1024;

export interface TimelineJson {
  body: Buffer;
  /** A strong entity tag of the body: the same inputs plan the same day. */
  etag: string;
}

/**
 * The day's plans each once, with the units that follow it. Units of the same zones get the same
 * plan, so a commune of thousands of units has a handful: what was ~1.4 KB of JSON per unit (seven
 * days of it on the schedule screen, on a phone) is now its id in a list.
 */
export function sharedPlans(plans: readonly UnitDayPlan[]) {
  type Shared = { unitIds: string[]; windows: UnitDayPlan['windows']; items: UnitDayPlan['items'] };
  const byContent = new Map<string, Shared>();
  // The planner gives the units of one group the same windows and items (the same arrays): those
  // are recognised by identity, and only each group's content is serialized (issue #10: once per
  // unit, this was 40–120 ms for 5,000 units under load). Groups of equal content still merge.
  const byIdentity = new Map<UnitDayPlan['items'], Map<UnitDayPlan['windows'], Shared>>();
  for (const p of plans) {
    let ofItems = byIdentity.get(p.items);
    if (!ofItems) byIdentity.set(p.items, (ofItems = new Map()));
    let shared = ofItems.get(p.windows);
    if (!shared) {
      const key = JSON.stringify([p.windows, p.items]);
      shared = byContent.get(key);
      if (!shared) byContent.set(key, (shared = { unitIds: [], windows: p.windows, items: p.items }));
      ofItems.set(p.windows, shared);
    }
    shared.unitIds.push(p.unitId);
  }
  return [...byContent.values()];
}

export function timelineService(db: Db) {
  const reader = plannerInputReader(db);
  /** By commune and date, least recently used first. */
  const kept = new Map<string, TimelineJson & { inputs: string }>();
  let keptBytes = 0;
  const sizeOf = (e: { body: Buffer; inputs: string }) => e.body.length + 2 * e.inputs.length;

  /**
   * What did not fit, each with its bulletin's title: the operator reads which bulletin it is beside
   * the reason, in the page's language, rather than only inside the English detail.
   */
  function withTitles(overbooked: OverbookedItem[], bulletins: readonly PlannerBulletin[]) {
    const titles = new Map(bulletins.map((b) => [b.id, b.title]));
    return overbooked.map((o) => ({ ...o, title: titles.get(o.bulletinId) ?? null }));
  }

  /** Reads what the planner needs for a commune and the day asked (by default today, there). */
  function inputsFor(communeId: string, date: string | undefined) {
    const now = Date.now();
    const world = reader.world(communeId, now);
    if (!world) throw new HttpError(404, 'commune-not-found', `There is no commune ${communeId}.`);
    const day = date ?? toZoned(now, world.commune.timeZone).date;
    if (!isLocalDate(day))
      throw new HttpError(400, 'invalid-date', 'date must be a calendar date such as 2026-11-22.', 'date');
    return { world, day };
  }

  function planFor({ world, day }: ReturnType<typeof inputsFor>): {
    date: string;
    timeZone: string;
    result: PlannerResult;
    zones: Array<{ id: string; unitIds: string[] }>;
    bulletins: PlannerBulletin[];
  } {
    const result = planDay({
      date: day,
      communes: [world.commune],
      zones: world.zones,
      units: world.units,
      bulletins: world.bulletins,
    });
    return {
      date: day,
      timeZone: world.commune.timeZone,
      result,
      zones: world.zones.map((z) => ({ id: z.id, unitIds: z.unitIds })),
      bulletins: world.bulletins,
    };
  }

  function commune(inputs: ReturnType<typeof inputsFor>) {
    const { date, timeZone, result, zones, bulletins } = planFor(inputs);
    return {
      communeId: inputs.world.commune.id,
      date,
      timeZone,
      zones,
      plans: sharedPlans(result.plans),
      overbooked: withTitles(result.overbooked, bulletins),
    };
  }

  return {
    /**
     * The commune timeline as the JSON bytes to send, planned and serialized again only when what
     * the planner reads has changed: the planner is a pure function of the day and these inputs
     * (the commune, its zones and units, the bulletins on the air at this instant). The commune and
     * the bulletins are read every time and compared whole; the zones and units by the version of
     * those tables they were read at (planner-input.ts), so no change anywhere can be missed.
     */
    communeJson(communeId: string, date: string | undefined): TimelineJson {
      const current = inputsFor(communeId, date);
      const key = `${communeId}\n${current.day}`;
      const { structure, commune: place, bulletins } = current.world;
      const inputs = `${structure}\n${JSON.stringify([place, bulletins])}`;
      const hit = kept.get(key);
      kept.delete(key);
      if (hit?.inputs === inputs) {
        kept.set(key, hit); // now the most recently used
        return hit;
      }
      if (hit) keptBytes -= sizeOf(hit);
      const body = Buffer.from(JSON.stringify(commune(current)));
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
      const entry = { body, etag, inputs };
      kept.set(key, entry);
      keptBytes += sizeOf(entry);
      for (const [k, e] of kept) {
        if (keptBytes <= KEPT_BYTES || e === entry) break;
        kept.delete(k);
        keptBytes -= sizeOf(e);
      }
      return entry;
    },
    unit(unitId: string, date: string | undefined) {
      const row = db.prepare('SELECT commune_id FROM units WHERE id = ?').get(unitId) as
        { commune_id: string } | undefined;
      if (!row) throw new HttpError(404, 'unit-not-found', `There is no unit ${unitId}.`);
      const { date: day, timeZone, result, bulletins } = planFor(inputsFor(row.commune_id, date));
      const plan = result.plans.find((p) => p.unitId === unitId);
      return {
        unitId,
        date: day,
        timeZone,
        windows: plan?.windows ?? [],
        items: plan?.items ?? [],
        overbooked: withTitles(
          result.overbooked.filter((o) => o.unitId === unitId),
          bulletins,
        ),
      };
    },
  };
}
