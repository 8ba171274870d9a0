// DESIGN §5 stated as properties over generated communes, zones, units and bulletins (testkit.ts:
// several time zones, DST days, windows crossing midnight, zone overrides, pinned and packed
// bulletins, repeats, validity cut mid-day).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PlanItem } from '../protocol/messages.js';
import { addDays, fromZoned, parseClock, weekdayOf } from '../time/zoned.js';
import { planDay } from './planner.js';
import { plannerInput, shuffled } from './testkit.js';
import type { PlannerBulletin, PlannerInput, PlannerResult } from './types.js';
import { effectiveWindowSpecs, windowInstants } from './windows.js';

const RUNS = Number(process.env.PLANNER_RUNS ?? 250);
const end = (i: PlanItem) => i.startAt + i.media.durationMs;
const occurrenceOf = (i: PlanItem) => Number(i.id.slice(i.id.lastIndexOf('#') + 1));
const rank = (b: PlannerBulletin) => ({ emergency: 0, priority: 1, ordinary: 2 })[b.level];
const isPinned = (b: PlannerBulletin) => (b.recurrence.pinnedTimes ?? []).length > 0;

/** What the rules say about the input, computed independently of the planner where it can be. */
function facts(input: PlannerInput) {
  const commune = new Map(input.communes.map((c) => [c.id, c]));
  const bulletin = new Map(input.bulletins.map((b) => [b.id, b]));
  const unit = new Map(input.units.map((u) => [u.id, u]));
  const zonesOf = (unitId: string) =>
    input.zones.filter((z) => z.unitIds.includes(unitId) && z.communeId === unit.get(unitId)!.communeId);
  const windowsOf = (unitId: string) => {
    const c = commune.get(unit.get(unitId)!.communeId)!;
    return windowInstants(effectiveWindowSpecs(c.windows, zonesOf(unitId)), input.date, c.timeZone);
  };
  const targeted = (unitId: string, b: PlannerBulletin) => {
    const u = unit.get(unitId)!;
    if (b.communeId !== u.communeId) return false;
    const zoneIds = new Set(zonesOf(unitId).map((z) => z.id));
    return b.targets.commune || b.targets.zoneIds.some((z) => zoneIds.has(z)) || b.targets.unitIds.includes(unitId);
  };
  const tzOf = (b: PlannerBulletin) => commune.get(b.communeId)!.timeZone;
  return { commune, bulletin, unit, windowsOf, targeted, tzOf };
}

function check(name: string, property: (input: PlannerInput, result: PlannerResult) => void) {
  it(name, () => {
    fc.assert(
      fc.property(plannerInput, (input) => property(input, planDay(input))),
      { numRuns: RUNS },
    );
  });
}

describe('planDay properties (DESIGN §5)', () => {
  check('rule 1: nothing but an emergency with a pinned time airs outside the windows', (input, r) => {
    const f = facts(input);
    for (const plan of r.plans) {
      // Rule 5 as well: the plan carries exactly the unit's effective windows.
      expect(plan.windows).toEqual(f.windowsOf(plan.unitId).map(({ id, startAt, endAt }) => ({ id, startAt, endAt })));
      for (const item of plan.items) {
        const inside = plan.windows.some((w) => w.startAt <= item.startAt && end(item) <= w.endAt);
        const b = f.bulletin.get(item.bulletinId)!;
        if (!inside) expect(b.level === 'emergency' && isPinned(b), `${item.id} outside windows`).toBe(true);
      }
    }
  });

  check('rule 2: no two items of a unit overlap, emergencies included', (_, r) => {
    for (const plan of r.plans) {
      for (let i = 1; i < plan.items.length; i++) {
        expect(end(plan.items[i - 1]!)).toBeLessThanOrEqual(plan.items[i]!.startAt);
      }
      expect(new Set(plan.items.map((i) => i.id)).size).toBe(plan.items.length);
    }
  });

  check('rule 2: pinned items air at their exact local time (repeats exactly a gap apart)', (input, r) => {
    const f = facts(input);
    for (const plan of r.plans) {
      for (const item of plan.items) {
        const b = f.bulletin.get(item.bulletinId)!;
        if (!isPinned(b)) continue;
        const times = [...new Set(b.recurrence.pinnedTimes!.map(parseClock))].filter((s) => s !== undefined);
        times.sort((x, y) => x - y);
        const n = occurrenceOf(item) - 1;
        const seconds = times[Math.floor(n / b.repeat.count)]!;
        const k = n % b.repeat.count;
        const base = item.startAt - k * (b.media.durationMs + b.repeat.gapSeconds * 1000);
        const tz = f.tzOf(b);
        expect([fromZoned(input.date, seconds, tz), fromZoned(addDays(input.date, 1), seconds, tz)]).toContain(base);
      }
    }
  });

  check('rule 2: each packed item takes the first slot left by items ranked before it', (input, r) => {
    const f = facts(input);
    const before = (x: PlannerBulletin, y: PlannerBulletin) =>
      rank(x) - rank(y) || x.approvedAt - y.approvedAt || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
    for (const plan of r.plans) {
      for (const item of plan.items) {
        const b = f.bulletin.get(item.bulletinId)!;
        if (isPinned(b)) continue;
        const w = plan.windows.find((x) => x.startAt <= item.startAt && end(item) <= x.endAt)!;
        const earlier = plan.items.filter(
          (o) => o.bulletinId === b.id && o.startAt < item.startAt && o.startAt >= w.startAt && o.startAt < w.endAt,
        );
        const prev = earlier[earlier.length - 1];
        // The lower bound: the window's start (or validFrom), else the end of the last repeat + gap.
        const lower = prev ? end(prev) + b.repeat.gapSeconds * 1000 : Math.max(w.startAt, b.validFrom);
        const upper = Math.min(w.endAt, b.validUntil);
        expect(item.startAt).toBeGreaterThanOrEqual(lower);
        const ranked = plan.items.filter((o) => {
          const ob = f.bulletin.get(o.bulletinId)!;
          return isPinned(ob) || before(ob, b) < 0 || (ob.id === b.id && o.startAt < item.startAt);
        });
        const d = item.media.durationMs;
        const free = (t: number) => t + d <= upper && !ranked.some((o) => o.startAt < t + d && t < end(o));
        const candidates = [lower, ...ranked.map(end)].filter((t) => t >= lower && t < item.startAt);
        for (const t of candidates) expect(free(t), `${item.id} could start earlier at ${t}`).toBe(false);
      }
    }
  });

  check('rule 3: items air within validity, on their days, repeats at least the gap apart', (input, r) => {
    const f = facts(input);
    const weekday = weekdayOf(input.date);
    for (const plan of r.plans) {
      for (const item of plan.items) {
        const b = f.bulletin.get(item.bulletinId)!;
        expect(item.startAt).toBeGreaterThanOrEqual(b.validFrom);
        expect(end(item)).toBeLessThanOrEqual(b.validUntil);
        expect(item.validUntil).toBe(b.validUntil);
        expect(b.recurrence.days).toContain(weekday);
      }
      const byBulletin = new Map<string, PlanItem[]>();
      for (const i of plan.items) byBulletin.set(i.bulletinId, [...(byBulletin.get(i.bulletinId) ?? []), i]);
      for (const [id, items] of byBulletin) {
        const b = f.bulletin.get(id)!;
        for (let i = 1; i < items.length; i++) {
          const sameSlot =
            Math.floor((occurrenceOf(items[i]!) - 1) / b.repeat.count) ===
            Math.floor((occurrenceOf(items[i - 1]!) - 1) / b.repeat.count);
          if (sameSlot)
            expect(items[i]!.startAt - end(items[i - 1]!)).toBeGreaterThanOrEqual(b.repeat.gapSeconds * 1000);
        }
      }
    }
  });

  it('rule 4: the same input in any order gives the same output', () => {
    fc.assert(
      fc.property(plannerInput, fc.integer(), (input, seed) => {
        expect(JSON.stringify(planDay(shuffled(input, seed)))).toBe(JSON.stringify(planDay(input)));
      }),
      { numRuns: RUNS },
    );
  });

  check('rules 2, 5 and 6: every occurrence due is planned or reported, once, for targeted units only', (input, r) => {
    const f = facts(input);
    const weekday = weekdayOf(input.date);
    for (const plan of r.plans) {
      const windows = f.windowsOf(plan.unitId);
      for (const b of input.bulletins) {
        const planned = plan.items.filter((i) => i.bulletinId === b.id).map(occurrenceOf);
        const reported = r.overbooked.filter((o) => o.unitId === plan.unitId && o.bulletinId === b.id);
        const all = [...planned, ...reported.map((o) => o.occurrence)];
        expect(new Set(all).size, 'an occurrence both planned and reported').toBe(all.length);
        if (!f.targeted(plan.unitId, b) || !b.recurrence.days.includes(weekday)) {
          expect(all).toEqual([]);
          continue;
        }
        const count = b.repeat.count;
        const pinned = new Set((b.recurrence.pinnedTimes ?? []).map(parseClock)).size;
        const ids = b.recurrence.windowIds;
        const matching = windows.filter((w) => !ids?.length || w.ids.some((id) => ids.includes(id))).length;
        const due = isPinned(b) ? pinned * count : Math.max(1, matching) * count;
        for (const n of all) expect(n >= 1 && n <= due).toBe(true);
        // Generated validity is either wide (all due) or cut somewhere in the day (some due).
        const tz = f.tzOf(b);
        const wide =
          b.validFrom < fromZoned(input.date, 0, tz) && b.validUntil > fromZoned(addDays(input.date, 3), 0, tz);
        if (wide) expect(all.length, `${b.id} on ${plan.unitId}`).toBe(due);
      }
    }
    for (const o of r.overbooked) {
      expect(o.date).toBe(input.date);
      expect(['window-full', 'outside-window', 'no-window', 'pinned-conflict', 'not-valid']).toContain(o.reason);
      expect(o.detail).toMatch(new RegExp(`\\(${o.bulletinId}\\), occurrence ${o.occurrence}\\b.*\\.$`));
    }
  });

  check('rule 5: one plan per unit, sorted, and reports sorted', (input, r) => {
    expect(r.plans.map((p) => p.unitId)).toEqual(input.units.map((u) => u.id).sort());
    const keys = r.overbooked.map((o) => [o.unitId, o.bulletinId, o.occurrence] as const);
    const sorted = [...keys].sort((a, b) =>
      a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[2] - b[2],
    );
    expect(keys).toEqual(sorted);
  });
});
