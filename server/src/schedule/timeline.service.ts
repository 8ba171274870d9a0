// What airs where on a date: the commune-wide timeline and one unit's plan, computed by the same
// planner that builds the published plans, so what the operator sees is what units will play.
import {
  isLocalDate,
  planDay,
  toZoned,
  type OverbookedItem,
  type PlannerBulletin,
  type PlannerResult,
} from '@loa/shared';
import type { Db } from '../db/database.js';
import { HttpError } from '../http-error.js';
import { plannerInputReader } from './planner-input.js';

export function timelineService(db: Db) {
  const reader = plannerInputReader(db);

  /**
   * What did not fit, each with its bulletin's title: the operator reads which bulletin it is beside
   * the reason, in the page's language, rather than only inside the English detail.
   */
  function withTitles(overbooked: OverbookedItem[], bulletins: readonly PlannerBulletin[]) {
    const titles = new Map(bulletins.map((b) => [b.id, b.title]));
    return overbooked.map((o) => ({ ...o, title: titles.get(o.bulletinId) ?? null }));
  }

  function planFor(
    communeId: string,
    date: string | undefined,
  ): {
    date: string;
    timeZone: string;
    result: PlannerResult;
    zones: Array<{ id: string; unitIds: string[] }>;
    bulletins: PlannerBulletin[];
  } {
    const now = Date.now();
    const world = reader.world(communeId, now);
    if (!world) throw new HttpError(404, 'commune-not-found', `There is no commune ${communeId}.`);
    const day = date ?? toZoned(now, world.commune.timeZone).date;
    if (!isLocalDate(day))
      throw new HttpError(400, 'invalid-date', 'date must be a calendar date such as 2026-11-22.', 'date');
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

  return {
    commune(communeId: string, date: string | undefined) {
      const { date: day, timeZone, result, zones, bulletins } = planFor(communeId, date);
      return {
        communeId,
        date: day,
        timeZone,
        zones,
        units: result.plans,
        overbooked: withTitles(result.overbooked, bulletins),
      };
    },
    unit(unitId: string, date: string | undefined) {
      const row = db.prepare('SELECT commune_id FROM units WHERE id = ?').get(unitId) as
        { commune_id: string } | undefined;
      if (!row) throw new HttpError(404, 'unit-not-found', `There is no unit ${unitId}.`);
      const { date: day, timeZone, result, bulletins } = planFor(row.commune_id, date);
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
