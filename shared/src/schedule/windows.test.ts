import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays } from '../time/zoned.js';
import { DATES_UNDER_TEST, HCM, ZONES_UNDER_TEST, at, local, windowList } from './testkit.js';
import { DEFAULT_WINDOWS, type WindowSpec } from './types.js';
import {
  describeWindows,
  effectiveWindowSpecs,
  findWindow,
  overnightTooLong,
  pinnedTimeFits,
  resolvePinned,
  validateWindows,
  windowInstants,
} from './windows.js';

const w = (id: string, start: string, end: string): WindowSpec => ({ id, start, end });
const shown = (specs: WindowSpec[], date: string, tz = HCM) =>
  windowInstants(specs, date, tz).map((x) => `${x.id} ${local(x.startAt, tz)} → ${local(x.endAt, tz)}`);

describe('validateWindows', () => {
  it.each<[string, WindowSpec[]]>([
    ['the national defaults', [...DEFAULT_WINDOWS]],
    ['no windows at all', []],
    ['windows that touch', [w('a', '05:00', '06:00'), w('b', '06:00', '07:00')]],
    ['a window crossing midnight', [w('night', '22:00', '01:00'), w('morning', '05:00', '07:30')]],
    ['seconds', [w('a', '05:00:30', '05:10:45')]],
    ['a window ending at midnight', [w('late', '23:00', '00:00')]],
  ])('accepts %s', (_, specs) => {
    expect(validateWindows(specs)).toBeUndefined();
  });

  it.each<[string, WindowSpec[], RegExp]>([
    ['end equal to start', [w('a', '05:00', '05:00')], /'a'.*same time/],
    ['a malformed start', [w('a', '5:00', '07:00')], /'a'.*malformed start/],
    ['a malformed end', [w('a', '05:00', '24:00')], /'a'.*malformed end/],
    ['a missing id', [w('', '05:00', '06:00')], /no id/],
    ['two windows with one id', [w('a', '05:00', '06:00'), w('a', '17:00', '18:00')], /two windows are named 'a'/],
    ['an overlap', [w('a', '05:00', '07:30'), w('b', '07:00', '08:00')], /'a'.*overlaps.*'b'/],
    ['one window inside another', [w('a', '05:00', '09:00'), w('b', '06:00', '07:00')], /overlaps/],
    ['an overlap across midnight', [w('night', '22:00', '06:00'), w('morning', '05:00', '07:30')], /overlaps/],
    ['two windows crossing midnight', [w('a', '23:00', '01:00'), w('b', '23:30', '00:15')], /overlaps/],
  ])('refuses %s, naming the window', (_, specs, message) => {
    expect(validateWindows(specs)).toMatch(message);
  });

  it('accepts every generated disjoint list, and refuses it with a window added twice', () => {
    fc.assert(
      fc.property(windowList, (specs) => {
        expect(validateWindows(specs)).toBeUndefined();
        if (specs.length > 0) expect(validateWindows([...specs, { ...specs[0]!, id: 'copy' }])).toMatch(/overlaps/);
      }),
    );
  });
});

describe('overnightTooLong', () => {
  it.each<[string, WindowSpec[]]>([
    ['the national defaults', [...DEFAULT_WINDOWS]],
    ['a night window of 3 h', [w('night', '21:30', '00:30')]],
    ['exactly 12 h across midnight', [w('night', '19:00', '07:00')]],
    ['a long day window that does not cross midnight', [w('day', '05:00', '21:00')]],
    ['a window ending at midnight', [w('late', '12:00', '00:00')]],
  ])('accepts %s', (_, specs) => {
    expect(overnightTooLong(specs)).toBeUndefined();
  });

  it('refuses an end typed before its start, naming the window, its index and the hours', () => {
    const specs = [w('morning', '05:00', '07:30'), w('evening', '19:00', '17:00')];
    expect(overnightTooLong(specs)).toEqual({
      index: 1,
      message: expect.stringMatching(/'evening' \(19:00–17:00\).*22 h/),
    });
    expect(overnightTooLong([w('night', '18:59', '07:00')])?.message).toMatch(/12\.0 h|12 h/);
    expect(overnightTooLong([w('night', '18:30', '07:00')])?.message).toMatch(/12\.5 h/);
  });
});

describe('describeWindows', () => {
  it('lists the windows by start time, for messages', () => {
    expect(describeWindows([...DEFAULT_WINDOWS])).toBe('05:00–07:30, 17:00–19:00');
    expect(describeWindows([w('e', '17:00', '19:00'), w('m', '05:00:00', '07:30')])).toBe('05:00–07:30, 17:00–19:00');
    expect(describeWindows([w('n', '22:00', '01:00')])).toBe('22:00–01:00');
    expect(describeWindows([])).toBe('no windows');
  });
});

describe('effectiveWindowSpecs', () => {
  const commune = [...DEFAULT_WINDOWS];
  it("is the commune's when no zone overrides", () => {
    expect(effectiveWindowSpecs(commune, [{ windows: null }, {}, { windows: [] }])).toEqual(commune);
  });
  it('is the national default when the commune has none', () => {
    expect(effectiveWindowSpecs([], [])).toEqual([...DEFAULT_WINDOWS]);
  });
  it("is the union of the overriding zones' windows, ignoring the commune's", () => {
    const market = [w('market', '06:00', '09:00')];
    const border = [w('border', '05:30', '06:30'), w('border-pm', '16:00', '17:00')];
    expect(effectiveWindowSpecs(commune, [{ windows: market }, { windows: null }, { windows: border }])).toEqual([
      ...market,
      ...border,
    ]);
  });
});

describe('windowInstants', () => {
  it('reads the windows in the commune time zone', () => {
    expect(shown([...DEFAULT_WINDOWS], '2026-05-04')).toEqual([
      'morning 2026-05-04 05:00 → 2026-05-04 07:30',
      'evening 2026-05-04 17:00 → 2026-05-04 19:00',
    ]);
    expect(windowInstants([...DEFAULT_WINDOWS], '2026-05-04', HCM)[0]!.startAt).toBe(
      Date.parse('2026-05-03T22:00:00Z'),
    );
  });

  it('gives a window crossing midnight to the date it starts on, ending the next day', () => {
    expect(shown([w('night', '22:00', '01:00'), w('morning', '05:00', '07:30')], '2026-05-04')).toEqual([
      'morning 2026-05-04 05:00 → 2026-05-04 07:30',
      'night 2026-05-04 22:00 → 2026-05-05 01:00',
    ]);
  });

  it('merges overlapping or touching windows of a union, keeping the earliest id and all ids', () => {
    const union = [w('market', '06:00', '09:00'), w('border', '05:30', '06:30'), w('late', '09:00', '10:00')];
    const out = windowInstants(union, '2026-05-04', HCM);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ id: 'border', ids: ['border', 'market', 'late'] });
    expect(local(out[0]!.startAt)).toBe('2026-05-04 05:30');
    expect(local(out[0]!.endAt)).toBe('2026-05-04 10:00');
  });

  it("cuts out of today's windows what yesterday's window crossing midnight still holds", () => {
    // Zone A 22:00–06:00 and zone B 05:00–07:00: 05:00–06:00 belongs to yesterday's night window.
    const union = [w('a', '22:00', '06:00'), w('b', '05:00', '07:00')];
    expect(shown(union, '2026-05-04')).toEqual([
      'b 2026-05-04 06:00 → 2026-05-04 07:00',
      'a 2026-05-04 22:00 → 2026-05-05 06:00',
    ]);
  });

  it.each([
    // New York springs forward at 02:00 → 03:00 on 2026-03-08: the night window is an hour shorter.
    ['America/New_York', '2026-03-07', 'night 2026-03-07 22:00 → 2026-03-08 03:00', 4],
    ['America/New_York', '2026-11-01', 'night 2026-11-01 01:00 → 2026-11-01 03:00', 3],
    ['Europe/Berlin', '2026-03-28', 'night 2026-03-28 22:00 → 2026-03-29 03:00', 4],
    ['Europe/Berlin', '2026-10-24', 'night 2026-10-24 22:00 → 2026-10-25 03:00', 6],
  ])('keeps real durations on a DST change (%s %s)', (tz, date, text, hours) => {
    const specs =
      tz === 'America/New_York' && date === '2026-11-01'
        ? [w('night', '01:00', '03:00')]
        : [w('night', '22:00', '03:00')];
    const [win] = windowInstants(specs, date, tz);
    expect(`${win!.id} ${local(win!.startAt, tz)} → ${local(win!.endAt, tz)}`).toBe(text);
    expect((win!.endAt - win!.startAt) / 3600_000).toBe(hours);
  });

  it('drops for the day a window the clock skips over entirely', () => {
    // 02:10–02:40 does not exist in New York on 2026-03-08; both ends are pushed to 03:10–03:40.
    expect(shown([w('odd', '02:10', '02:40')], '2026-03-08', 'America/New_York')).toEqual([
      'odd 2026-03-08 03:10 → 2026-03-08 03:40',
    ]);
    // 02:30–03:00 would end (03:00 EDT) before it starts (02:30 → 03:30 EDT): no window that day.
    expect(windowInstants([w('odd', '02:30', '03:00')], '2026-03-08', 'America/New_York')).toEqual([]);
  });

  it('throws on a malformed spec', () => {
    expect(() => windowInstants([w('a', '5:00', '06:00')], '2026-05-04', HCM)).toThrow(RangeError);
  });

  it('gives sorted, disjoint windows that never overlap the next date', () => {
    const unions = fc.array(windowList, { minLength: 1, maxLength: 3 }).map((ls) => ls.flat());
    fc.assert(
      fc.property(
        unions,
        fc.constantFrom(...DATES_UNDER_TEST),
        fc.constantFrom(...ZONES_UNDER_TEST),
        (specs, d, tz) => {
          const today = windowInstants(specs, d, tz);
          const tomorrow = windowInstants(specs, addDays(d, 1), tz);
          today.forEach((x, i) => {
            expect(x.endAt).toBeGreaterThan(x.startAt);
            if (i > 0) expect(x.startAt).toBeGreaterThan(today[i - 1]!.endAt); // touching ones merged
            expect(x.startAt).toBeGreaterThanOrEqual(at(d, '00:00', tz));
            expect(x.ids[0]).toBe(x.id);
          });
          for (const x of today)
            for (const y of tomorrow) expect(x.endAt <= y.startAt || y.endAt <= x.startAt).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('pinned times', () => {
  const specs = [w('morning', '05:00', '07:30'), w('night', '22:00', '01:00')];
  it.each([
    ['06:00', 300, true],
    ['07:25', 300, true], // ends exactly at the window's end
    ['07:26', 300, false], // would end after it
    ['07:30', 60, false], // starts exactly at the window's end
    ['04:59', 60, false], // starts before it
    ['00:30', 1800, true], // after midnight, inside the night window that began on the date
    ['00:31', 1800, false],
    ['03:15', 60, false],
    ['3:15', 60, false], // malformed
  ])('%s for %i s fits: %s', (clock, seconds, fits) => {
    expect(pinnedTimeFits(specs, '2026-05-04', clock, seconds * 1000, HCM)).toBe(fits);
  });

  it('means tomorrow for a time in the after-midnight part of the date’s own window, else today', () => {
    const windows = windowInstants(specs, '2026-05-04', HCM);
    expect(local(resolvePinned(windows, '2026-05-04', 1800, HCM))).toBe('2026-05-05 00:30');
    expect(local(resolvePinned(windows, '2026-05-04', 3 * 3600, HCM))).toBe('2026-05-04 03:00');
    expect(local(resolvePinned(windows, '2026-05-04', 3600, HCM))).toBe('2026-05-04 01:00'); // the end is not in
  });

  it('findWindow wants the whole item inside one window', () => {
    const windows = windowInstants([w('a', '05:00', '06:00'), w('b', '07:00', '08:00')], '2026-05-04', HCM);
    expect(findWindow(windows, at('2026-05-04', '05:50'), 600_000)?.id).toBe('a');
    expect(findWindow(windows, at('2026-05-04', '05:51'), 600_000)).toBeUndefined();
    expect(findWindow(windows, at('2026-05-04', '06:55'), 600_000)).toBeUndefined();
  });
});
