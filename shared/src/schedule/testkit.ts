// Builders and fast-check generators for the planner's tests (not exported from the package).
import fc from 'fast-check';
import type { MediaRef } from '../protocol/messages.js';
import { fromZoned, parseClock, toZoned, formatClock } from '../time/zoned.js';
import type {
  PlannerBulletin,
  PlannerCommune,
  PlannerInput,
  PlannerResult,
  PlannerUnit,
  PlannerZone,
  WindowSpec,
} from './types.js';

export const HCM = 'Asia/Ho_Chi_Minh';
export const ALL_DAYS = [0, 1, 2, 3, 4, 5, 6];

export function media(seconds: number, sha = 'a'): MediaRef {
  return { sha256: sha.repeat(64).slice(0, 64), bytes: 1000, durationMs: seconds * 1000 };
}

/** The instant of a local 'HH:MM[:SS]' on a date. */
export function at(date: string, clock: string, timeZone = HCM): number {
  return fromZoned(date, parseClock(clock)!, timeZone);
}

/** 'YYYY-MM-DD HH:MM[:SS]' of an instant, for readable expectations. */
export function local(t: number, timeZone = HCM): string {
  const z = toZoned(t, timeZone);
  return `${z.date} ${formatClock(z.seconds)}`;
}

export function bulletin(over: Partial<PlannerBulletin> & { id: string }): PlannerBulletin {
  return {
    communeId: 'c1',
    level: 'ordinary',
    approvedAt: 1,
    validFrom: 0,
    validUntil: Date.parse('2100-01-01T00:00:00Z'),
    targets: { commune: true, zoneIds: [], unitIds: [] },
    recurrence: { days: ALL_DAYS },
    repeat: { count: 1, gapSeconds: 0 },
    media: media(300),
    volume: 80,
    ...over,
  };
}

export function commune(windows: WindowSpec[], timeZone = HCM, id = 'c1'): PlannerCommune {
  return { id, timeZone, windows };
}

/** One commune 'c1' (HCM, given windows) with units u-1 … u-n, unless overridden. */
export function input(over: Partial<PlannerInput> & { windows?: WindowSpec[]; unitCount?: number }): PlannerInput {
  const { windows, unitCount, ...rest } = over;
  return {
    date: '2026-05-04',
    communes: [commune(windows ?? [{ id: 'morning', start: '05:00', end: '07:30' }])],
    zones: [],
    units: Array.from({ length: unitCount ?? 1 }, (_, i) => ({ id: `u-${i + 1}`, communeId: 'c1' })),
    bulletins: [],
    ...rest,
  };
}

/** "HH:MM[:SS] bulletinId#n" lines of a unit's plan, in local time, for table expectations. */
export function timetable(result: PlannerResult, unitId: string, timeZone = HCM): string[] {
  const plan = result.plans.find((p) => p.unitId === unitId);
  if (!plan) throw new Error(`no plan for ${unitId}`);
  return plan.items.map((i) => `${local(i.startAt, timeZone)} ${i.id.replace(/@.*#/, '#')}`);
}

export function reasons(result: PlannerResult, unitId?: string): string[] {
  return result.overbooked
    .filter((o) => unitId === undefined || o.unitId === unitId)
    .map((o) => `${o.bulletinId}#${o.occurrence} ${o.reason}`);
}

// ── generators ──────────────────────────────────────────────────────────────────────────────
export const ZONES_UNDER_TEST = [HCM, 'America/New_York', 'Europe/Berlin'];
/** Ordinary days and both DST changes of New York and Berlin in 2026, with their neighbours. */
export const DATES_UNDER_TEST = [
  '2026-05-04',
  '2026-03-07',
  '2026-03-08',
  '2026-03-28',
  '2026-03-29',
  '2026-10-25',
  '2026-10-31',
  '2026-11-01',
];
const WINDOW_IDS = ['morning', 'noon', 'evening', 'night', 'extra'];

/** A valid window list: disjoint on the 24-hour circle, the last one possibly crossing midnight. */
export const windowList: fc.Arbitrary<WindowSpec[]> = fc
  .record({
    cuts: fc.uniqueArray(fc.integer({ min: 0, max: 24 * 12 - 1 }), { maxLength: 8 }),
    wrap: fc.boolean(),
    idShift: fc.integer({ min: 0, max: 4 }),
  })
  .map(({ cuts, wrap, idShift }) => {
    // Five-minute steps keep windows long enough to hold something.
    const c = [...cuts].sort((a, b) => a - b).map((x) => formatClock(x * 300));
    if (wrap && c.length >= 2) c.push(c.shift()!);
    const out: WindowSpec[] = [];
    for (let i = 0; i + 1 < c.length; i += 2) {
      out.push({ id: WINDOW_IDS[(i / 2 + idShift) % WINDOW_IDS.length]!, start: c[i]!, end: c[i + 1]! });
    }
    return out;
  });

const clockArb = fc.integer({ min: 0, max: 24 * 60 - 1 }).map((m) => formatClock(m * 60));

export const plannerInput: fc.Arbitrary<PlannerInput> = fc
  .record({
    date: fc.constantFrom(...DATES_UNDER_TEST),
    communes: fc.array(fc.record({ timeZone: fc.constantFrom(...ZONES_UNDER_TEST), windows: windowList }), {
      minLength: 1,
      maxLength: 2,
    }),
    unitCount: fc.integer({ min: 1, max: 6 }),
    zoneSeeds: fc.array(
      fc.record({
        commune: fc.nat(),
        members: fc.array(fc.nat(), { maxLength: 4 }),
        windows: fc.option(windowList, { freq: 2 }),
      }),
      { maxLength: 4 },
    ),
    bulletinSeeds: fc.array(
      fc.record({
        commune: fc.nat(),
        level: fc.constantFrom('ordinary', 'ordinary', 'priority', 'emergency' as const),
        approvedAt: fc.integer({ min: 0, max: 4 }),
        wideValidity: fc.boolean(),
        validFromH: fc.integer({ min: -6 * 60, max: 36 * 60 }),
        validForM: fc.integer({ min: 1, max: 30 * 60 }),
        commune_: fc.boolean(),
        zones: fc.array(fc.nat(), { maxLength: 2 }),
        units: fc.array(fc.nat(), { maxLength: 3 }),
        days: fc.oneof(fc.constant(ALL_DAYS), fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { maxLength: 7 })),
        pinned: fc.option(fc.array(clockArb, { minLength: 1, maxLength: 3 }), { freq: 2 }),
        windowIds: fc.option(fc.uniqueArray(fc.constantFrom(...WINDOW_IDS), { minLength: 1, maxLength: 2 }), {
          freq: 2,
        }),
        count: fc.integer({ min: 1, max: 4 }),
        gapSeconds: fc.integer({ min: 0, max: 1800 }),
        seconds: fc.integer({ min: 10, max: 40 * 60 }),
      }),
      { maxLength: 9 },
    ),
  })
  .map(({ date, communes: cs, unitCount, zoneSeeds, bulletinSeeds }) => {
    const communes: PlannerCommune[] = cs.map((c, i) => ({ id: `c${i}`, ...c }));
    const units: PlannerUnit[] = Array.from({ length: unitCount }, (_, i) => ({
      id: `u-${i}`,
      communeId: communes[i % communes.length]!.id,
    }));
    const zones: PlannerZone[] = zoneSeeds.map((z, i) => ({
      id: `z${i}`,
      communeId: communes[z.commune % communes.length]!.id,
      unitIds: z.members.map((m) => units[m % units.length]!.id),
      windows: z.windows,
    }));
    const bulletins: PlannerBulletin[] = bulletinSeeds.map((s, i) => {
      const c = communes[s.commune % communes.length]!;
      const dayStart = fromZoned(date, 0, c.timeZone);
      const validFrom = s.wideValidity ? dayStart - 86400_000 * 2 : dayStart + s.validFromH * 60_000;
      const validUntil = s.wideValidity ? dayStart + 86400_000 * 5 : validFrom + s.validForM * 60_000;
      return {
        id: `b${i}`,
        communeId: c.id,
        title: `Bulletin ${i}`,
        level: s.level,
        approvedAt: s.approvedAt,
        validFrom,
        validUntil,
        targets: {
          commune: s.commune_,
          zoneIds: s.zones.map((z) => `z${z % Math.max(1, zones.length)}`),
          unitIds: s.units.map((u) => units[u % units.length]!.id),
        },
        recurrence: {
          days: s.days,
          ...(s.pinned ? { pinnedTimes: s.pinned } : {}),
          ...(s.windowIds ? { windowIds: s.windowIds } : {}),
        },
        repeat: { count: s.count, gapSeconds: s.gapSeconds },
        media: media(s.seconds),
        volume: 70,
      };
    });
    return { date, communes, zones, units, bulletins };
  });

/** The same input with every array (and every list inside) in another order. */
export function shuffled(input: PlannerInput, seed: number): PlannerInput {
  let state = seed >>> 0 || 1;
  const rnd = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const mix = <T>(list: readonly T[]): T[] => {
    const out = [...list];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
  return {
    date: input.date,
    communes: mix(input.communes).map((c) => ({ ...c, windows: mix(c.windows) })),
    zones: mix(input.zones).map((z) => ({ ...z, unitIds: mix(z.unitIds), windows: z.windows && mix(z.windows) })),
    units: mix(input.units),
    bulletins: mix(input.bulletins).map((b) => ({
      ...b,
      targets: { commune: b.targets.commune, zoneIds: mix(b.targets.zoneIds), unitIds: mix(b.targets.unitIds) },
      recurrence: {
        days: mix(b.recurrence.days),
        ...(b.recurrence.pinnedTimes ? { pinnedTimes: mix(b.recurrence.pinnedTimes) } : {}),
        ...(b.recurrence.windowIds ? { windowIds: mix(b.recurrence.windowIds) } : {}),
      },
    })),
  };
}
