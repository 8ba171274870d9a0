// The pure, deterministic planner (DESIGN §5): bulletins + windows of one local date → one plan per
// unit, and every occurrence that should have aired but cannot, with the reason.
//
// Speed: thousands of units share the same effective windows and the same set of bulletins aimed
// at them. Units are grouped by that signature, each group is planned once (unit-day.ts) and every
// unit of the group gets the same result. Item ids do not depend on the unit
// (`${bulletinId}@${date}#${occurrence}`), so sharing is exact. The shared windows, items and media
// refs are frozen, so a careless edit throws instead of leaking into another unit's plan. (Each
// unit once got its own copy: 1.3 million items a month for 5,000 units, most of the planner's
// time spent allocating and collecting them.)
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
import { sortSmall } from './timeline.js';
import { cmp, planUnitDay, type PreparedBulletin } from './unit-day.js';
import { effectiveWindowSpecs, resolvePinned, validateWindows, windowInstants, type DayWindow } from './windows.js';

const RANKS: Record<string, number> = { emergency: 0, priority: 1, ordinary: 2 };
const TITLE_MAX = 300;
const NO_ZONES: readonly PlannerZone[] = [];
const byNumber = (x: number, y: number) => x - y;

interface CommuneDay {
  id: string;
  timeZone: string;
  windows: readonly WindowSpec[];
  dayStart: number;
  dayEnd: number;
  /** Local midnight two days on: the latest a window of the date can end. */
  spanEnd: number;
}

interface Membership {
  base: Group;
  bulletins: Set<number>;
}

/** Units in the same zones (sorted by id) share a node; `commune` is theirs, or null when mixed. */
interface ZoneNode {
  zones: PlannerZone[];
  commune: string | null;
  next: Map<string, ZoneNode>;
  /** Memoised for the units of `commune`. */
  membership: Membership | undefined;
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

  // unit id → its zones, as a node of a trie of zone lists (zones come sorted by id): units in the
  // same zones share one node, so the per-unit work below is one lookup, with nothing allocated.
  const zoneTrie = new Map<string, ZoneNode>();
  const nodeOfUnit = new Map<string, ZoneNode>();
  const zoneCommune = new Map<string, string>();
  for (const z of byId(input.zones, 'zone')) {
    if (z.windows && z.windows.length > 0) {
      const bad = validateWindows(z.windows);
      if (bad) throw new RangeError(`zone ${z.id}: ${bad}`);
    }
    zoneCommune.set(z.id, z.communeId);
    for (const unitId of z.unitIds) {
      const from = nodeOfUnit.get(unitId);
      if (from && from.zones[from.zones.length - 1] === z) continue; // listed twice in this zone
      const next = from ? from.next : zoneTrie;
      let node = next.get(z.id);
      if (!node) {
        const zones = from ? [...from.zones, z] : [z];
        const commune = from ? (from.commune === z.communeId ? z.communeId : null) : z.communeId;
        next.set(z.id, (node = { zones, commune, next: new Map(), membership: undefined }));
      }
      nodeOfUnit.set(unitId, node);
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
  const memberships = new Map<string, Membership>();
  const groupFor = (commune: CommuneDay, ws: { specs: WindowSpec[]; windowKey: string }, bulletins: number[]) => {
    const signature = `${commune.id}#${ws.windowKey}#${bulletins.join(',')}`;
    let g = groups.get(signature);
    if (!g) {
      g = { commune, specs: ws.specs, windowKey: ws.windowKey, bulletins };
      groups.set(signature, g);
    }
    return g;
  };
  const membershipOf = (commune: CommuneDay, zones: readonly PlannerZone[]): Membership => {
    const overriding = zones.filter((z) => z.windows && z.windows.length > 0).map((z) => z.id);
    const zkey = overriding.length ? `z:${overriding.join(',')}` : `c:${commune.id}`;
    let ws = specsByKey.get(zkey);
    if (!ws) {
      const specs = effectiveWindowSpecs(commune.windows, zones);
      ws = { specs, windowKey: `${commune.timeZone}|${specsKey(specs)}` };
      specsByKey.set(zkey, ws);
    }
    const set = new Set(byCommune.get(commune.id));
    for (const z of zones) for (const i of byZone.get(z.id) ?? []) set.add(i);
    return {
      base: groupFor(commune, ws, sortSmall([...set], byNumber)),
      bulletins: set,
    };
  };
  for (const u of units) {
    const commune = communes.get(u.communeId);
    if (!commune) throw new RangeError(`unit ${u.id}: commune ${u.communeId} is not in the input`);
    const node = nodeOfUnit.get(u.id);
    let m: Membership | undefined;
    if (!node) {
      m = memberships.get(u.communeId);
      if (!m) memberships.set(u.communeId, (m = membershipOf(commune, NO_ZONES)));
    } else if (node.commune === u.communeId) {
      m = node.membership ??= membershipOf(commune, node.zones);
    } else {
      // Some of its zones belong to another commune: they are ignored (rare; keyed by what is left).
      const zones = node.zones.filter((z) => z.communeId === u.communeId);
      const key = zones.reduce((k, z) => `${k}|${z.id}`, u.communeId);
      m = memberships.get(key);
      if (!m) memberships.set(key, (m = membershipOf(commune, zones)));
    }
    const named = byUnit.get(u.id);
    const own = named ? named.filter((i) => prepared[i]!.src.communeId === u.communeId && !m.bulletins.has(i)) : [];
    if (own.length === 0) {
      groupOf.push(m.base);
    } else {
      const all = sortSmall([...new Set([...m.bulletins, ...own])], byNumber);
      groupOf.push(groupFor(commune, { specs: m.base.specs, windowKey: m.base.windowKey }, all));
    }
  }

  // Plan each group once; windows and local-time labels are shared between groups.
  const windowsByKey = new Map<string, DayWindow[]>();
  // resolvePinned reads the clock of the zone (Intl, slow): once per window list and time.
  const pinnedByKey = new Map<string, Map<number, number>>();
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
    let pins = pinnedByKey.get(g.windowKey);
    if (!pins) pinnedByKey.set(g.windowKey, (pins = new Map()));
    const pinMemo = pins;
    results.set(
      g,
      planUnitDay({
        date,
        dayStart: g.commune.dayStart,
        dayEnd: g.commune.dayEnd,
        windows: w,
        bulletins: g.bulletins.map((i) => prepared[i]!),
        pinnedAt: (seconds) => {
          let at = pinMemo.get(seconds);
          if (at === undefined) pinMemo.set(seconds, (at = resolvePinned(w, date, seconds, tz)));
          return at;
        },
        localTime: (t) => {
          let z = memo.get(t);
          if (!z) memo.set(t, (z = toZoned(t, tz)));
          return z;
        },
      }),
    );
  }

  // Fan out, in unit id order (so overbooked comes out sorted too): each unit of a group shares the
  // group's frozen windows and items.
  const shared = new Map<Group, Pick<UnitDayPlan, 'windows' | 'items'>>();
  for (const [g, r] of results) {
    shared.set(g, {
      windows: Object.freeze(r.windows.map((w) => Object.freeze({ id: w.id, startAt: w.startAt, endAt: w.endAt }))),
      items: Object.freeze(r.items.map(freezeItem)),
    });
  }
  const plans: UnitDayPlan[] = [];
  const overbooked: OverbookedItem[] = [];
  units.forEach((u, i) => {
    const g = groupOf[i]!;
    const { windows, items } = shared.get(g)!;
    plans.push({ unitId: u.id, date, windows, items });
    for (const o of results.get(g)!.overbooked) {
      const { bulletinId, occurrence, reason, detail } = o;
      overbooked.push({ unitId: u.id, bulletinId, date, occurrence, reason, detail });
    }
  });
  return { plans, overbooked };
}

function freezeItem(it: PlanItem): Readonly<PlanItem> {
  if (it.relay) Object.freeze(it.relay);
  return Object.freeze(it);
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
