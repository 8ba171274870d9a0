// The pure, deterministic planner (DESIGN §5): bulletins + windows of one local date → one plan per
// unit, and every occurrence that should have aired but cannot, with the reason.
//
// Speed: thousands of units share the same effective windows and the same set of bulletins aimed
// at them. Units are grouped by that signature, each group is planned once (unit-day.ts) and every
// unit gets its own copy of the result. Item ids do not depend on the unit
// (`${bulletinId}@${date}#${occurrence}`), so the copies are exact. Only an item's `media` ref is
// shared, one frozen object per bulletin, so a careless edit throws instead of leaking elsewhere.
//
// Choices, beyond the rules of DESIGN §5:
// - Input arrays may come in any order: everything is sorted by id first (rule 4, determinism).
// - planDay throws RangeError on input the API must have refused: a malformed date, an unknown
//   time zone, an invalid window list, duplicate ids, a unit of a commune not in the input. It
//   never throws for a scheduling problem; those are reported in `overbooked`.
// - A commune with no windows gets DEFAULT_WINDOWS; a zone with null/undefined/[] windows inherits.
// - Bulletins of communes not in the input, and zones/units of another commune than the
//   bulletin's, are ignored: a unit's items only come from bulletins of its own commune.
// - repeat.count below 1 counts as 1 (an approved bulletin is meant to air); a negative gap as 0;
//   titles are cut to the 300 characters the plan schema allows; volumes rounded into 0..100.
// - Recurrence days are those of the plan date, also for a 22:00–01:00 window's after-midnight
//   part and a pinned time in it (both belong to the date the window starts on).
import type { PlanItem } from '../protocol/messages.js';
import { addDays, fromZoned, isLocalDate, isTimeZone, parseClock, toZoned, weekdayOf } from '../time/zoned.js';
import type {
  OverbookedItem,
  PlannerBulletin,
  PlannerInput,
  PlannerResult,
  PlannerZone,
  UnitDayPlan,
  WindowSpec,
} from './types.js';
import { cmp, planUnitDay, type PreparedBulletin } from './unit-day.js';
import { effectiveWindowSpecs, resolvePinned, validateWindows, windowInstants, type DayWindow } from './windows.js';

const RANKS: Record<string, number> = { emergency: 0, priority: 1, ordinary: 2 };
const TITLE_MAX = 300;

interface CommuneDay {
  id: string;
  timeZone: string;
  windows: readonly WindowSpec[];
  dayStart: number;
  dayEnd: number;
  /** Local midnight two days on: the latest a window of the date can end. */
  spanEnd: number;
}

interface Group {
  commune: CommuneDay;
  specs: WindowSpec[];
  windowKey: string;
  bulletins: number[];
}

export function planDay(input: PlannerInput): PlannerResult {
  const { date } = input;
  if (!isLocalDate(date)) throw new RangeError(`not a date: ${String(date)}`);
  const weekday = weekdayOf(date);

  const communes = new Map<string, CommuneDay>();
  for (const c of byId(input.communes, 'commune')) {
    if (!isTimeZone(c.timeZone)) throw new RangeError(`commune ${c.id}: unknown time zone '${c.timeZone}'`);
    const bad = validateWindows(c.windows ?? []);
    if (bad) throw new RangeError(`commune ${c.id}: ${bad}`);
    const tz = c.timeZone;
    communes.set(c.id, {
      id: c.id,
      timeZone: tz,
      windows: c.windows ?? [],
      dayStart: fromZoned(date, 0, tz),
      dayEnd: fromZoned(addDays(date, 1), 0, tz),
      spanEnd: fromZoned(addDays(date, 2), 0, tz),
    });
  }

  // unit id → zones of the unit's commune holding it (the commune check happens per unit below).
  const zonesOfUnit = new Map<string, PlannerZone[]>();
  const zoneCommune = new Map<string, string>();
  for (const z of byId(input.zones, 'zone')) {
    if (z.windows && z.windows.length > 0) {
      const bad = validateWindows(z.windows);
      if (bad) throw new RangeError(`zone ${z.id}: ${bad}`);
    }
    zoneCommune.set(z.id, z.communeId);
    for (const unitId of new Set(z.unitIds)) {
      const list = zonesOfUnit.get(unitId);
      if (list) list.push(z);
      else zonesOfUnit.set(unitId, [z]);
    }
  }

  // Bulletins due on this date, indexed by what they target.
  const prepared: PreparedBulletin[] = [];
  const byCommune = new Map<string, number[]>();
  const byZone = new Map<string, number[]>();
  const byUnit = new Map<string, number[]>();
  const push = (map: Map<string, number[]>, key: string, i: number) => {
    const list = map.get(key);
    if (list) list.push(i);
    else map.set(key, [i]);
  };
  for (const b of byId(input.bulletins, 'bulletin')) {
    const commune = communes.get(b.communeId);
    if (!commune || !b.recurrence.days.includes(weekday)) continue;
    const p = prepare(b);
    // Nothing of this date can air before local midnight, nor after two days on plus the repeats.
    const latest = commune.spanEnd + p.count * (p.durationMs + p.gapMs);
    if (b.validUntil <= commune.dayStart || b.validFrom >= latest || b.validUntil <= b.validFrom) continue;
    const i = prepared.push(p) - 1;
    if (b.targets.commune) push(byCommune, b.communeId, i);
    for (const z of new Set(b.targets.zoneIds)) if (zoneCommune.get(z) === b.communeId) push(byZone, z, i);
    for (const u of new Set(b.targets.unitIds)) push(byUnit, u, i);
  }

  // Group units by signature: effective windows + the bulletins aimed at them. Units sharing a
  // membership (commune and zones) share both unless bulletins name them one by one, so the work
  // is done once per membership, and per unit only for the few named ones.
  const units = byId(input.units, 'unit');
  const groups = new Map<string, Group>();
  const groupOf: Group[] = [];
  const specsByKey = new Map<string, { specs: WindowSpec[]; windowKey: string }>();
  const memberships = new Map<string, { base: Group; bulletins: Set<number> }>();
  const groupFor = (commune: CommuneDay, ws: { specs: WindowSpec[]; windowKey: string }, bulletins: number[]) => {
    const signature = `${commune.id}#${ws.windowKey}#${bulletins.join(',')}`;
    let g = groups.get(signature);
    if (!g) {
      g = { commune, specs: ws.specs, windowKey: ws.windowKey, bulletins };
      groups.set(signature, g);
    }
    return g;
  };
  for (const u of units) {
    const commune = communes.get(u.communeId);
    if (!commune) throw new RangeError(`unit ${u.id}: commune ${u.communeId} is not in the input`);
    const zones = (zonesOfUnit.get(u.id) ?? []).filter((z) => z.communeId === u.communeId);
    const key = zones.reduce((k, z) => `${k}|${z.id}`, u.communeId); // zones come sorted by id
    let m = memberships.get(key);
    if (!m) {
      const overriding = zones.filter((z) => z.windows && z.windows.length > 0).map((z) => z.id);
      const zkey = overriding.length ? `z:${overriding.join(',')}` : `c:${commune.id}`;
      let ws = specsByKey.get(zkey);
      if (!ws) {
        const specs = effectiveWindowSpecs(commune.windows, zones);
        ws = { specs, windowKey: `${commune.timeZone}|${specsKey(specs)}` };
        specsByKey.set(zkey, ws);
      }
      const set = new Set(byCommune.get(u.communeId));
      for (const z of zones) for (const i of byZone.get(z.id) ?? []) set.add(i);
      m = {
        base: groupFor(
          commune,
          ws,
          [...set].sort((x, y) => x - y),
        ),
        bulletins: set,
      };
      memberships.set(key, m);
    }
    const own = (byUnit.get(u.id) ?? []).filter(
      (i) => prepared[i]!.src.communeId === u.communeId && !m.bulletins.has(i),
    );
    if (own.length === 0) {
      groupOf.push(m.base);
    } else {
      const all = [...new Set([...m.bulletins, ...own])].sort((x, y) => x - y);
      groupOf.push(groupFor(commune, { specs: m.base.specs, windowKey: m.base.windowKey }, all));
    }
  }

  // Plan each group once; windows and local-time labels are shared between groups.
  const windowsByKey = new Map<string, DayWindow[]>();
  const localMemo = new Map<string, Map<number, ReturnType<typeof toZoned>>>();
  const results = new Map<Group, ReturnType<typeof planUnitDay>>();
  for (const g of groups.values()) {
    const tz = g.commune.timeZone;
    let windows = windowsByKey.get(g.windowKey);
    if (!windows) {
      windows = windowInstants(g.specs, date, tz);
      windowsByKey.set(g.windowKey, windows);
    }
    let local = localMemo.get(tz);
    if (!local) localMemo.set(tz, (local = new Map()));
    const memo = local;
    const w = windows;
    results.set(
      g,
      planUnitDay({
        date,
        dayStart: g.commune.dayStart,
        dayEnd: g.commune.dayEnd,
        windows: w,
        bulletins: g.bulletins.map((i) => prepared[i]!),
        pinnedAt: (seconds) => resolvePinned(w, date, seconds, tz),
        localTime: (t) => {
          let z = memo.get(t);
          if (!z) memo.set(t, (z = toZoned(t, tz)));
          return z;
        },
      }),
    );
  }

  // Fan out: each unit its own copy, in unit id order (so overbooked comes out sorted too).
  const plans: UnitDayPlan[] = [];
  const overbooked: OverbookedItem[] = [];
  units.forEach((u, i) => {
    const r = results.get(groupOf[i]!)!;
    plans.push({
      unitId: u.id,
      date,
      windows: r.windows.map((w) => ({ id: w.id, startAt: w.startAt, endAt: w.endAt })),
      items: r.items.map(copyItem),
    });
    for (const o of r.overbooked) overbooked.push({ unitId: u.id, ...o });
  });
  return { plans, overbooked };
}

/** Each unit gets its own item objects; one literal shape per case keeps V8's copies fast. */
function copyItem(it: PlanItem): PlanItem {
  const { id, bulletinId, level, media, startAt, validUntil, volume, title, relay } = it;
  const copy: PlanItem =
    title === undefined
      ? { id, bulletinId, level, media, startAt, validUntil, volume }
      : { id, bulletinId, title, level, media, startAt, validUntil, volume };
  if (relay) copy.relay = relay;
  return copy;
}

/** Sorted by id (code-unit order); throws on a duplicate id, which would make ids ambiguous. */
function byId<T extends { id: string }>(list: readonly T[], what: string): T[] {
  const sorted = [...list].sort((a, b) => cmp(a.id, b.id));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.id === sorted[i - 1]!.id) throw new RangeError(`two ${what}s have the id '${sorted[i]!.id}'`);
  }
  return sorted;
}

/** A canonical text of a window list, so equal lists from different zones share one key. */
function specsKey(specs: readonly WindowSpec[]): string {
  return specs
    .map((s) => `${s.id}=${parseClock(s.start)}-${parseClock(s.end)}`)
    .sort()
    .join(';');
}

function prepare(b: PlannerBulletin): PreparedBulletin {
  const rank = RANKS[b.level] ?? 2;
  const pinnedTimes = b.recurrence.pinnedTimes ?? [];
  const parsed = pinnedTimes.map((t) => parseClock(t));
  const windowIds = b.recurrence.windowIds ?? [];
  return {
    src: b,
    name: b.title ? `'${b.title}' (${b.id})` : b.id,
    level: b.level,
    rank,
    title: b.title === undefined ? undefined : b.title.slice(0, TITLE_MAX),
    media: Object.freeze({ sha256: b.media.sha256, bytes: b.media.bytes, durationMs: b.media.durationMs }),
    volume: Math.min(100, Math.max(0, Math.round(b.volume) || 0)),
    durationMs: Math.max(1, Math.round(b.media.durationMs) || 1),
    count: Math.max(1, Math.floor(b.repeat.count) || 1),
    gapMs: Math.max(0, Math.round(b.repeat.gapSeconds * 1000) || 0),
    pinned:
      pinnedTimes.length > 0
        ? [...new Set(parsed.filter((s): s is number => s !== undefined))].sort((x, y) => x - y)
        : undefined,
    badPinned: [...new Set(pinnedTimes.filter((_, i) => parsed[i] === undefined))].sort(cmp),
    windowIds: windowIds.length > 0 ? new Set(windowIds) : undefined,
  };
}
