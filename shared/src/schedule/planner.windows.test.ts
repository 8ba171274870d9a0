// Table tests of the awkward window cases: midnight, zones with their own windows, other time
// zones and their DST days.
import { describe, expect, it } from 'vitest';
import { planDay } from './planner.js';
import { at, bulletin, commune, input, local, media, reasons, timetable } from './testkit.js';
import type { PlannerZone, WindowSpec } from './types.js';

const DATE = '2026-05-04'; // a Monday
const MORNING: WindowSpec = { id: 'morning', start: '05:00', end: '07:30' };
const minutes = (m: number) => media(m * 60);

describe('planDay: windows crossing midnight', () => {
  const windows: WindowSpec[] = [{ id: 'night', start: '22:00', end: '01:00' }, MORNING];

  it('packs across midnight into the date the window started on', () => {
    const r = planDay(
      input({
        windows,
        bulletins: [
          bulletin({
            id: 'n',
            recurrence: { days: [1], windowIds: ['night'] },
            repeat: { count: 3, gapSeconds: 600 },
            media: minutes(50),
          }),
        ],
      }),
    );
    expect(timetable(r, 'u-1')).toEqual(['2026-05-04 22:00 n#1', '2026-05-04 23:00 n#2', '2026-05-05 00:00 n#3']);
    expect(r.plans[0]!.windows.map((w) => `${w.id} ${local(w.startAt)}–${local(w.endAt)}`)).toEqual([
      'morning 2026-05-04 05:00–2026-05-04 07:30',
      'night 2026-05-04 22:00–2026-05-05 01:00',
    ]);
    // Monday's night items are Monday's: Tuesday (not in `days`) has none, and its plan starts at 05:00.
    const tuesday = planDay({ ...input({ windows }), date: '2026-05-05' });
    expect(tuesday.plans[0]!.windows[0]!.startAt).toBe(at('2026-05-05', '05:00'));
  });

  it('reads a pinned 00:30 as the night of the plan date, on its weekday', () => {
    const r = planDay(
      input({ windows, bulletins: [bulletin({ id: 'p', recurrence: { days: [1], pinnedTimes: ['00:30'] } })] }),
    );
    expect(timetable(r, 'u-1')).toEqual(['2026-05-05 00:30 p#1']);
  });
});

describe('planDay: effective windows of a unit (rule 5)', () => {
  const zones: PlannerZone[] = [
    {
      id: 'market',
      communeId: 'c1',
      unitIds: ['u-1', 'u-3'],
      windows: [{ id: 'market', start: '06:00', end: '09:00' }],
    },
    {
      id: 'border',
      communeId: 'c1',
      unitIds: ['u-1'],
      windows: [
        { id: 'border', start: '05:30', end: '06:30' },
        { id: 'border-pm', start: '16:00', end: '17:00' },
      ],
    },
    { id: 'village', communeId: 'c1', unitIds: ['u-1', 'u-2'], windows: null },
  ];
  const plan = () =>
    planDay(
      input({
        windows: [MORNING, { id: 'evening', start: '17:00', end: '19:00' }],
        zones,
        unitCount: 3,
        bulletins: [bulletin({ id: 'm', recurrence: { days: [1], windowIds: ['market'] } })],
      }),
    );

  it('uses the union of overriding zones, merged, else the commune windows', () => {
    const spans = (unit: string) =>
      plan()
        .plans.find((p) => p.unitId === unit)!
        .windows.map((w) => `${w.id} ${local(w.startAt).slice(11)}–${local(w.endAt).slice(11)}`);
    expect(spans('u-1')).toEqual(['border 05:30–09:00', 'border-pm 16:00–17:00']);
    expect(spans('u-2')).toEqual(['morning 05:00–07:30', 'evening 17:00–19:00']);
    expect(spans('u-3')).toEqual(['market 06:00–09:00']);
  });

  it("matches windowIds against every window merged into a unit's window", () => {
    const r = plan();
    expect(timetable(r, 'u-1')).toEqual(['2026-05-04 05:30 m#1']);
    expect(timetable(r, 'u-3')).toEqual(['2026-05-04 06:00 m#1']);
    expect(reasons(r, 'u-2')).toEqual(['m#1 no-window']);
    expect(r.overbooked[0]!.detail).toMatch(
      /its windows 'market' are not among the unit's \(05:00–07:30, 17:00–19:00\)/,
    );
  });
});

describe('planDay: other time zones', () => {
  it('plans New York on its spring-forward day: real durations, a pinned 02:30 pushed to 03:30', () => {
    const tz = 'America/New_York';
    const r = planDay({
      ...input({ bulletins: [] }),
      date: '2026-03-08',
      communes: [commune([{ id: 'night', start: '01:00', end: '04:00' }], tz)],
      bulletins: [
        bulletin({ id: 'a', repeat: { count: 3, gapSeconds: 0 }, media: minutes(40) }),
        bulletin({ id: 'pin', approvedAt: 0, recurrence: { days: [0], pinnedTimes: ['02:30'] }, media: minutes(5) }),
      ],
    });
    // 01:00 EST → 04:00 EDT is two real hours: 01:40 EST + 40 min is 03:20 EDT; the pin lands at
    // 03:30 EDT, and a third 40 minutes no longer fit before 04:00.
    expect(timetable(r, 'u-1', tz)).toEqual(['2026-03-08 01:00 a#1', '2026-03-08 01:40 a#2', '2026-03-08 03:30 pin#1']);
    expect(reasons(r)).toEqual(['a#3 window-full']);
  });

  it('plans Berlin on its fall-back day: the repeated hour adds airtime', () => {
    const tz = 'Europe/Berlin';
    const r = planDay({
      ...input({}),
      date: '2026-10-25',
      communes: [commune([{ id: 'night', start: '01:00', end: '04:00' }], tz)],
      bulletins: [bulletin({ id: 'a', repeat: { count: 4, gapSeconds: 0 }, media: minutes(55) })],
    });
    expect(r.plans[0]!.items).toHaveLength(4);
    expect(r.overbooked).toEqual([]);
    const last = r.plans[0]!.items[3]!;
    expect(local(last.startAt + 55 * 60_000, tz)).toBe('2026-10-25 03:40');
  });

  it('reads each commune in its own zone', () => {
    const r = planDay({
      date: DATE,
      communes: [commune([MORNING], 'Asia/Ho_Chi_Minh', 'vn'), commune([MORNING], 'Europe/Berlin', 'de')],
      zones: [],
      units: [
        { id: 'u-vn', communeId: 'vn' },
        { id: 'u-de', communeId: 'de' },
      ],
      bulletins: [bulletin({ id: 'x', communeId: 'vn' }), bulletin({ id: 'y', communeId: 'de' })],
    });
    expect(r.plans.map((p) => [p.unitId, new Date(p.items[0]!.startAt).toISOString()])).toEqual([
      ['u-de', '2026-05-04T03:00:00.000Z'],
      ['u-vn', '2026-05-03T22:00:00.000Z'],
    ]);
  });
});
