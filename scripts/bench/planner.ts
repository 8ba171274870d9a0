// `npm run bench -- planner [--days 30] [--units 5000] [--zones 500] [--bulletins 300] [--seed 1]`
// Plans every day of a month for a province-sized world (DESIGN §8: one server per province, a few
// thousand units), the nightly job of the server. The world is generated from the seed, so two
// runs plan exactly the same thing. Target: under 2 s and 300 MB on a 2-core machine.
// Prints a table, then one line of JSON with the figures, for CI and for comparing runs.
import { performance } from 'node:perf_hooks';
import {
  addDays,
  fromZoned,
  planDay,
  type PlannerBulletin,
  type PlannerCommune,
  type PlannerInput,
  type PlannerUnit,
  type PlannerZone,
  type WindowSpec,
  weekdayOf,
} from '@loa/shared';

const TARGET_SECONDS = 2;
const TARGET_MB = 300;
const START_DATE = '2026-03-01';
const DAY_MS = 86_400_000;

interface Options {
  days: number;
  units: number;
  zones: number;
  bulletins: number;
  seed: number;
}

function parseArgs(args: string[]): Options {
  const o: Options = { days: 30, units: 5000, zones: 500, bulletins: 300, seed: 1 };
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i]?.replace(/^--/, '') as keyof Options;
    const value = Number(args[i + 1]);
    if (!(key in o) || !Number.isInteger(value) || value < 0) {
      console.error(`bad argument ${args[i]} ${args[i + 1] ?? ''}; want --days/--units/--zones/--bulletins/--seed N`);
      process.exit(2);
    }
    o[key] = value;
  }
  return o;
}

/** mulberry32: small, fast, and the same sequence on every machine. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!,
    chance: (p: number) => next() < p,
  };
}

const COMMUNE_WINDOWS: WindowSpec[][] = [
  [
    { id: 'morning', start: '05:00', end: '07:30' },
    { id: 'evening', start: '17:00', end: '19:00' },
  ],
  [
    { id: 'morning', start: '04:30', end: '06:30' },
    { id: 'noon', start: '11:00', end: '11:45' },
    { id: 'evening', start: '17:30', end: '19:30' },
  ],
];
// Zone overrides: a market's midday hour, border hamlets' early hours, a night watch crossing midnight.
const ZONE_WINDOWS: WindowSpec[][] = [
  [{ id: 'market', start: '06:00', end: '09:00' }],
  [
    { id: 'border', start: '05:30', end: '06:30' },
    { id: 'border-pm', start: '16:00', end: '17:00' },
  ],
  [
    { id: 'morning', start: '05:00', end: '07:30' },
    { id: 'night', start: '21:30', end: '00:30' },
  ],
];

const ALL_DAYS = [0, 1, 2, 3, 4, 5, 6];
/** Some weekdays, at least one: the API refuses a recurrence with no day. */
function someDays(r: ReturnType<typeof prng>): number[] {
  const days = [1, 2, 3, 4, 5, 6].filter(() => r.chance(0.6));
  return days.length ? days : [r.int(0, 6)];
}

/** Per day of the run: bulletins valid at some moment of the day, and those also recurring that weekday. */
export function activePerDay(world: Omit<PlannerInput, 'date'>, days: number): Array<{ valid: number; due: number }> {
  return Array.from({ length: days }, (_, d) => {
    const date = addDays(START_DATE, d);
    const from = fromZoned(date, 0, 'Asia/Ho_Chi_Minh');
    const to = fromZoned(addDays(date, 1), 0, 'Asia/Ho_Chi_Minh');
    const weekday = weekdayOf(date);
    const valid = world.bulletins.filter((b) => b.validFrom < to && b.validUntil > from);
    return { valid: valid.length, due: valid.filter((b) => b.recurrence.days.includes(weekday)).length };
  });
}

export function generateWorld(o: Options): Omit<PlannerInput, 'date'> {
  const r = prng(o.seed);
  const communeCount = Math.max(1, Math.round(o.units / 100));
  const communes: PlannerCommune[] = Array.from({ length: communeCount }, (_, i) => ({
    id: `xa-${i}`,
    timeZone: 'Asia/Ho_Chi_Minh',
    windows: r.chance(0.8) ? COMMUNE_WINDOWS[0]! : r.pick(COMMUNE_WINDOWS),
  }));
  const zonesPerCommune = Math.max(1, Math.round(o.zones / communeCount));
  const zones: PlannerZone[] = Array.from({ length: o.zones }, (_, i) => ({
    id: `zone-${i}`,
    communeId: communes[Math.floor(i / zonesPerCommune) % communeCount]!.id,
    unitIds: [],
    windows: r.chance(0.2) ? r.pick(ZONE_WINDOWS) : null,
  }));
  const zonesOf = new Map<string, PlannerZone[]>();
  for (const z of zones) zonesOf.set(z.communeId, [...(zonesOf.get(z.communeId) ?? []), z]);
  const units: PlannerUnit[] = Array.from({ length: o.units }, (_, i) => {
    const unit = { id: `cum-loa-${i}`, communeId: communes[i % communeCount]!.id };
    // Each unit sits in its village's zone, a third of them in a second zone too.
    const local = zonesOf.get(unit.communeId) ?? [];
    if (local.length) {
      const first = r.pick(local);
      first.unitIds.push(unit.id);
      const second = r.pick(local);
      if (second !== first && r.chance(0.33)) second.unitIds.push(unit.id);
    }
    return unit;
  });
  const unitsOf = new Map<string, string[]>();
  for (const u of units) unitsOf.set(u.communeId, [...(unitsOf.get(u.communeId) ?? []), u.id]);

  const start = fromZoned(START_DATE, 0, 'Asia/Ho_Chi_Minh');
  const bulletins: PlannerBulletin[] = Array.from({ length: o.bulletins }, (_, i) => {
    const communeId = communes[i % communeCount]!.id;
    const level = r.chance(0.08) ? 'emergency' : r.chance(0.24) ? 'priority' : 'ordinary';
    const kind = r.next();
    const localZones = zonesOf.get(communeId) ?? [];
    const localUnits = unitsOf.get(communeId) ?? [];
    const targets = {
      commune: kind < 0.5,
      zoneIds: kind >= 0.5 && kind < 0.85 ? Array.from({ length: r.int(1, 3) }, () => r.pick(localZones).id) : [],
      unitIds: kind >= 0.85 ? Array.from({ length: r.int(1, 5) }, () => r.pick(localUnits)) : [],
    };
    const pinned = r.chance(level === 'emergency' ? 0.6 : 0.2);
    // The API refuses ordinary pinned times outside the commune's windows, but zone overrides
    // still put some outside a unit's windows; emergencies may be pinned at any hour.
    const times =
      level === 'emergency' ? ['05:15', '12:00', '21:00', '02:30'] : ['05:15', '06:00', '06:30', '17:30', '18:00'];
    const pinnedTimes = pinned ? Array.from({ length: r.int(1, 2) }, () => r.pick(times)) : undefined;
    const windowIds = !pinned && r.chance(0.3) ? [r.pick(['morning', 'evening', 'evening', 'market'])] : undefined;
    // All 300 active for the whole month (the target is 300 active bulletins), each from a few
    // days before it to a few days after, at odd seconds.
    const validFrom = start - r.int(1, 10 * DAY_MS);
    const validUntil = start + o.days * DAY_MS + r.int(1, 10 * DAY_MS);
    return {
      id: `ban-tin-${String(i).padStart(4, '0')}`,
      communeId,
      title: `Bản tin ${i}`,
      level,
      approvedAt: start - r.int(0, 30 * DAY_MS),
      validFrom,
      validUntil,
      targets,
      recurrence: {
        days: r.chance(0.7) ? ALL_DAYS : someDays(r),
        ...(pinnedTimes ? { pinnedTimes } : {}),
        ...(windowIds ? { windowIds } : {}),
      },
      repeat: { count: r.int(1, 3), gapSeconds: r.pick([0, 60, 300, 900]) },
      media: { sha256: i.toString(16).padStart(64, '0'), bytes: 1_000_000, durationMs: r.int(30, 900) * 1000 },
      volume: r.int(50, 100),
    };
  });
  return { communes, zones, units, bulletins };
}

export function main(args: string[]): void {
  const o = parseArgs(args);
  const t0 = performance.now();
  const world = generateWorld(o);
  const generateSeconds = (performance.now() - t0) / 1000;

  const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
  // What the process (node + tsx) holds before planning, so the planner's own share is visible.
  const baseRssMB = mb(process.memoryUsage().rss);
  let items = 0;
  let overbooked = 0;
  let peakHeap = 0;
  const reasons = new Map<string, number>();
  const t1 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let d = 0; d < o.days; d++) {
    // Each day's result is dropped once counted, as the server stores it and moves on.
    const result = planDay({ date: addDays(START_DATE, d), ...world });
    for (const p of result.plans) items += p.items.length;
    overbooked += result.overbooked.length;
    for (const x of result.overbooked) reasons.set(x.reason, (reasons.get(x.reason) ?? 0) + 1);
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }
  const seconds = (performance.now() - t1) / 1000;
  // CPU time too: on a machine shared with other work, wall time alone overstates the planner's.
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const peakRssMB = mb(process.resourceUsage().maxRSS * 1024);
  const peakHeapMB = mb(peakHeap);
  const ok = seconds < TARGET_SECONDS && peakRssMB < TARGET_MB;

  const active = activePerDay(world, o.days);
  const span = (xs: number[]) =>
    Math.min(...xs) === Math.max(...xs) ? `${xs[0]}` : `${Math.min(...xs)}–${Math.max(...xs)}`;
  const rows: Array<[string, string]> = [
    ['days', String(o.days)],
    ['units', String(o.units)],
    ['zones', String(o.zones)],
    ['bulletins', String(o.bulletins)],
    ['valid per day', o.days ? span(active.map((a) => a.valid)) : '-'],
    ['due per day (valid, that weekday)', o.days ? span(active.map((a) => a.due)) : '-'],
    ['items planned', String(items)],
    ['overbooked', `${overbooked} (${[...reasons].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'})`],
    ['seconds (planning)', `${seconds.toFixed(3)}   target < ${TARGET_SECONDS}`],
    ['CPU seconds (planning, user + system)', cpuSeconds.toFixed(3)],
    ['seconds (generating world)', generateSeconds.toFixed(3)],
    ['peak RSS MB', `${peakRssMB}   target < ${TARGET_MB}`],
    ['RSS before planning MB', String(baseRssMB)],
    ['peak heap MB (after each day)', String(peakHeapMB)],
    ['verdict', ok ? 'within target' : 'OVER TARGET'],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`planner: ${o.days} days from ${START_DATE}, seed ${o.seed}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
  console.log(
    JSON.stringify({
      bench: 'planner',
      days: o.days,
      units: o.units,
      zones: o.zones,
      bulletins: o.bulletins,
      validPerDay: active.map((a) => a.valid),
      duePerDay: active.map((a) => a.due),
      seed: o.seed,
      itemsPlanned: items,
      overbooked,
      seconds: Math.round(seconds * 1000) / 1000,
      cpuSeconds: Math.round(cpuSeconds * 1000) / 1000,
      peakRssMB,
      baseRssMB,
      peakHeapMB,
      ok,
    }),
  );
  if (!ok) process.exitCode = 1;
}
