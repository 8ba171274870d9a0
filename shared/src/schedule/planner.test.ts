import { describe, expect, it } from 'vitest';
import { planDay } from './planner.js';
import { at, bulletin, commune, input, local, media, reasons, timetable } from './testkit.js';
import { DEFAULT_WINDOWS, type WindowSpec } from './types.js';

const DATE = '2026-05-04'; // a Monday
const MORNING: WindowSpec = { id: 'morning', start: '05:00', end: '07:30' };
const minutes = (m: number) => media(m * 60);

describe('planDay: order inside a window (rule 2)', () => {
  it('puts pinned items at their time, then priority, then ordinary, in approval order, first fit', () => {
    const r = planDay(
      input({
        bulletins: [
          bulletin({ id: 'o1', approvedAt: 1, media: minutes(10) }),
          bulletin({ id: 'o0', approvedAt: 1, media: minutes(10) }), // same approval: by id
          bulletin({ id: 'p1', level: 'priority', approvedAt: 9, media: minutes(10) }),
          bulletin({ id: 'pin', approvedAt: 5, recurrence: { days: [1], pinnedTimes: ['05:15'] }, media: minutes(5) }),
          bulletin({ id: 'short', approvedAt: 7, media: minutes(5) }), // fills the gap before the pin
        ],
      }),
    );
    expect(timetable(r, 'u-1')).toEqual([
      '2026-05-04 05:00 p1#1',
      '2026-05-04 05:10 short#1',
      '2026-05-04 05:15 pin#1',
      '2026-05-04 05:20 o0#1',
      '2026-05-04 05:30 o1#1',
    ]);
    expect(r.overbooked).toEqual([]);
  });

  it('packs a bulletin approved mid-window after its notBefore, and leaves earlier items in place', () => {
    const r = planDay(
      input({
        bulletins: [
          bulletin({ id: 'early', approvedAt: 1, media: minutes(10) }),
          bulletin({ id: 'late', level: 'priority', approvedAt: 9, notBefore: at(DATE, '06:02'), media: minutes(10) }),
          bulletin({ id: 'gone', approvedAt: 9, notBefore: at(DATE, '07:25'), media: minutes(10) }),
        ],
      }),
    );
    expect(timetable(r, 'u-1')).toEqual(['2026-05-04 05:00 early#1', '2026-05-04 06:02 late#1']);
    // Approved with too little of the window left for it: reported, never dropped silently.
    expect(r.overbooked.map((o) => o.bulletinId)).toEqual(['gone']);
  });

  it('packs emergency items without a pinned time first, inside the window', () => {
    const r = planDay(
      input({
        bulletins: [
          bulletin({ id: 'p', level: 'priority', approvedAt: 1, media: minutes(10) }),
          bulletin({ id: 'e', level: 'emergency', approvedAt: 5, media: minutes(10) }),
        ],
      }),
    );
    expect(timetable(r, 'u-1')).toEqual(['2026-05-04 05:00 e#1', '2026-05-04 05:10 p#1']);
  });

  it('spaces repeats by their gap and lets later items use the gaps', () => {
    const r = planDay(
      input({
        bulletins: [
          bulletin({ id: 'news', approvedAt: 1, repeat: { count: 3, gapSeconds: 600 }, media: minutes(10) }),
          bulletin({ id: 'ad', approvedAt: 2, media: minutes(5) }),
        ],
      }),
    );
    expect(timetable(r, 'u-1')).toEqual([
      '2026-05-04 05:00 news#1',
      '2026-05-04 05:10 ad#1',
      '2026-05-04 05:20 news#2',
      '2026-05-04 05:40 news#3',
    ]);
  });

  it('pushes a repeat later when a pinned item sits where it would go', () => {
    const r = planDay(
      input({
        bulletins: [
          bulletin({ id: 'news', repeat: { count: 2, gapSeconds: 60 }, media: minutes(10) }),
          bulletin({ id: 'pin', recurrence: { days: [1], pinnedTimes: ['05:12'] }, media: minutes(5) }),
        ],
      }),
    );
    expect(timetable(r, 'u-1')).toEqual([
      '2026-05-04 05:00 news#1',
      '2026-05-04 05:12 pin#1',
      '2026-05-04 05:17 news#2',
    ]);
  });

  it('reports repeats that overflow the window, naming the window', () => {
    const r = planDay(
      input({
        windows: [{ id: 'morning', start: '05:00', end: '06:00' }],
        bulletins: [bulletin({ id: 'long', title: 'Storm', repeat: { count: 3, gapSeconds: 0 }, media: minutes(25) })],
      }),
    );
    expect(timetable(r, 'u-1')).toEqual(['2026-05-04 05:00 long#1', '2026-05-04 05:25 long#2']);
    expect(r.overbooked).toEqual([
      {
        unitId: 'u-1',
        bulletinId: 'long',
        date: DATE,
        occurrence: 3,
        reason: 'window-full',
        detail:
          "'Storm' (long), occurrence 3 (repeat 3 of 3, 25 min), does not fit in window 'morning' (05:00–06:00) on 2026-05-04: the window is full.",
      },
    ]);
  });

  it('reports an item longer than its window', () => {
    const r = planDay(input({ bulletins: [bulletin({ id: 'film', media: minutes(200) })] }));
    expect(reasons(r)).toEqual(['film#1 window-full']);
    expect(r.overbooked[0]!.detail).toMatch(/longer than the window/);
  });
});

describe('planDay: pinned times', () => {
  it.each([
    ['07:25', 5, 'airs'], // ends exactly at the window's end
    ['07:30', 5, 'outside-window'], // starts exactly at the window's end
    ['07:26', 5, 'outside-window'], // would end after it
    ['04:59', 5, 'outside-window'],
    ['03:15', 5, 'outside-window'], // the 03:15 incident of DESIGN §1
  ])('an ordinary item pinned at %s for %i min: %s', (clock, m, outcome) => {
    const r = planDay(
      input({ bulletins: [bulletin({ id: 'x', recurrence: { days: [1], pinnedTimes: [clock] }, media: minutes(m) })] }),
    );
    if (outcome === 'airs') expect(timetable(r, 'u-1')).toEqual([`2026-05-04 ${clock} x#1`]);
    else expect(reasons(r)).toEqual([`x#1 ${outcome}`]);
  });

  it('lets an emergency pinned at 03:15 air outside the windows (Thông tư 39)', () => {
    const r = planDay(
      input({
        bulletins: [bulletin({ id: 'flood', level: 'emergency', recurrence: { days: [1], pinnedTimes: ['03:15'] } })],
      }),
    );
    expect(timetable(r, 'u-1')).toEqual(['2026-05-04 03:15 flood#1']);
  });

  it('gives an overlap of pinned items to the earlier approved, and any overlap to an emergency', () => {
    const pin = (id: string, clock: string, approvedAt: number, level: 'ordinary' | 'emergency' = 'ordinary') =>
      bulletin({ id, level, approvedAt, recurrence: { days: [1], pinnedTimes: [clock] }, media: minutes(5) });
    const r = planDay(
      input({
        bulletins: [
          pin('late', '06:00', 2),
          pin('early', '06:03', 1),
          pin('alarm', '06:30', 9, 'emergency'),
          pin('old', '06:32', 0),
        ],
      }),
    );
    expect(timetable(r, 'u-1')).toEqual(['2026-05-04 06:03 early#1', '2026-05-04 06:30 alarm#1']);
    expect(reasons(r)).toEqual(['late#1 pinned-conflict', 'old#1 pinned-conflict']);
    expect(r.overbooked[0]!.detail).toMatch(/overlapping 'Bulletin|early/);
  });

  it('repeats a pinned item at exact spacing, each repeat its own occurrence', () => {
    const r = planDay(
      input({
        bulletins: [
          bulletin({
            id: 'x',
            recurrence: { days: [1], pinnedTimes: ['06:00', '05:00'] },
            repeat: { count: 2, gapSeconds: 90 },
            media: minutes(5),
          }),
        ],
      }),
    );
    expect(timetable(r, 'u-1')).toEqual([
      '2026-05-04 05:00 x#1',
      '2026-05-04 05:06:30 x#2',
      '2026-05-04 06:00 x#3',
      '2026-05-04 06:06:30 x#4',
    ]);
  });

  it('reports a malformed pinned time instead of throwing', () => {
    const r = planDay(input({ bulletins: [bulletin({ id: 'x', recurrence: { days: [1], pinnedTimes: ['6h'] } })] }));
    expect(reasons(r)).toEqual(['x#1 invalid']);
  });
});

describe('planDay: validity and recurrence (rule 3)', () => {
  it('stops packing a bulletin that expires mid-window, to the second, and says so', () => {
    const r = planDay(
      input({
        windows: [MORNING, { id: 'evening', start: '17:00', end: '19:00' }],
        bulletins: [
          bulletin({ id: 'x', validUntil: at(DATE, '06:00'), repeat: { count: 4, gapSeconds: 0 }, media: minutes(20) }),
        ],
      }),
    );
    // The third ends exactly at validUntil; the evening window is past validity, so nothing was due.
    expect(timetable(r, 'u-1')).toEqual(['2026-05-04 05:00 x#1', '2026-05-04 05:20 x#2', '2026-05-04 05:40 x#3']);
    expect(reasons(r)).toEqual(['x#4 not-valid']);
    expect(r.overbooked[0]!.detail).toMatch(
      /does not fit in window 'morning' \(05:00–07:30\) on 2026-05-04 within its validity \(.* to 2026-05-04 06:00\)/,
    );
  });

  it('starts a bulletin that becomes valid mid-window no earlier than validFrom', () => {
    const r = planDay(input({ bulletins: [bulletin({ id: 'x', validFrom: at(DATE, '05:42:17') })] }));
    expect(timetable(r, 'u-1')).toEqual(['2026-05-04 05:42:17 x#1']);
  });

  it('reports a pinned item that would outlive its validity, and carries validUntil in the item', () => {
    const validUntil = at(DATE, '06:02');
    const r = planDay(
      input({
        bulletins: [
          bulletin({
            id: 'x',
            validUntil,
            recurrence: { days: [1], pinnedTimes: ['05:00', '06:00'] },
            media: minutes(5),
          }),
        ],
      }),
    );
    expect(timetable(r, 'u-1')).toEqual(['2026-05-04 05:00 x#1']);
    expect(r.plans[0]!.items[0]!.validUntil).toBe(validUntil);
    expect(reasons(r)).toEqual(['x#2 not-valid']);
  });

  it('airs only on the recurrence days of the plan date', () => {
    const b = bulletin({ id: 'x', recurrence: { days: [1] } });
    expect(timetable(planDay(input({ bulletins: [b] })), 'u-1')).toEqual(['2026-05-04 05:00 x#1']);
    expect(timetable(planDay(input({ date: '2026-05-05', bulletins: [b] })), 'u-1')).toEqual([]);
  });
});

describe('planDay: targets (rule 5)', () => {
  it('plans each unit once, from the bulletins of its own commune only', () => {
    const r = planDay({
      ...input({ unitCount: 3 }),
      communes: [commune([MORNING]), commune([MORNING], 'Asia/Ho_Chi_Minh', 'c2')],
      units: [
        { id: 'u-1', communeId: 'c1' },
        { id: 'u-2', communeId: 'c1' },
        { id: 'u-3', communeId: 'c1' },
        { id: 'x-1', communeId: 'c2' },
      ],
      zones: [
        { id: 'z1', communeId: 'c1', unitIds: ['u-1', 'u-2'] },
        { id: 'z2', communeId: 'c2', unitIds: ['x-1'] },
      ],
      bulletins: [
        bulletin({ id: 'b', targets: { commune: false, zoneIds: ['z1', 'z2'], unitIds: ['u-1', 'u-1', 'x-1'] } }),
        bulletin({
          id: 'all',
          targets: { commune: true, zoneIds: [], unitIds: [] },
          communeId: 'c2',
          media: minutes(1),
        }),
      ],
    });
    expect(r.plans.map((p) => [p.unitId, p.items.map((i) => i.id)])).toEqual([
      ['u-1', ['b@2026-05-04#1']],
      ['u-2', ['b@2026-05-04#1']],
      ['u-3', []],
      ['x-1', ['all@2026-05-04#1']],
    ]);
  });

  it('fills each item from the bulletin, with ids stable when other bulletins come and go', () => {
    const x = bulletin({
      id: 'x',
      title: 'Vaccination',
      volume: 64.6,
      media: minutes(3),
      repeat: { count: 2, gapSeconds: 0 },
    });
    const before = planDay(input({ bulletins: [x] }));
    const after = planDay(input({ bulletins: [bulletin({ id: 'urgent', level: 'priority' }), x] }));
    expect(before.plans[0]!.items[0]).toEqual({
      id: 'x@2026-05-04#1',
      bulletinId: 'x',
      title: 'Vaccination',
      level: 'ordinary',
      media: minutes(3),
      startAt: at(DATE, '05:00'),
      validUntil: x.validUntil,
      volume: 65,
    });
    expect(after.plans[0]!.items.filter((i) => i.bulletinId === 'x').map((i) => i.id)).toEqual(
      before.plans[0]!.items.map((i) => i.id),
    );
  });
});

describe('planDay: input the API should have refused', () => {
  it.each([
    ['a malformed date', { date: '2026-02-30' }, /not a date/],
    ['an unknown time zone', { communes: [commune([MORNING], 'Asia/Hanoi')] }, /unknown time zone/],
    ['overlapping windows', { communes: [commune([MORNING, { id: 'b', start: '07:00', end: '08:00' }])] }, /overlaps/],
    ['a unit of a missing commune', { units: [{ id: 'u-1', communeId: 'nowhere' }] }, /not in the input/],
    [
      'two units with one id',
      {
        units: [
          { id: 'u-1', communeId: 'c1' },
          { id: 'u-1', communeId: 'c1' },
        ],
      },
      /two units/,
    ],
  ])('throws a RangeError on %s', (_, over, message) => {
    expect(() => planDay({ ...input({}), ...over })).toThrow(message);
  });

  it('takes DEFAULT_WINDOWS as they are for a commune', () => {
    const r = planDay({
      ...input({}),
      communes: [{ id: 'c1', timeZone: 'Asia/Ho_Chi_Minh', windows: DEFAULT_WINDOWS }],
    });
    expect(r.plans[0]!.windows.map((w) => `${local(w.startAt)}–${local(w.endAt).slice(11)}`)).toEqual([
      '2026-05-04 05:00–07:30',
      '2026-05-04 17:00–19:00',
    ]);
  });

  it('gives a commune without windows the national defaults', () => {
    const r = planDay(input({ windows: [] }));
    expect(r.plans[0]!.windows.map((w) => w.id)).toEqual(['morning', 'evening']);
  });
});
