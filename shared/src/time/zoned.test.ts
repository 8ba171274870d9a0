import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TIME_ZONE,
  addDays,
  formatClock,
  fromZoned,
  isLocalDate,
  isTimeZone,
  parseClock,
  toZoned,
  weekdayOf,
  zoneOffsetMs,
} from './zoned.js';

const iso = (t: number) => new Date(t).toISOString();
const H = 3600;

describe('parseClock and formatClock', () => {
  it.each([
    ['00:00', 0],
    ['05:00', 5 * H],
    ['07:30', 7 * H + 30 * 60],
    ['23:59:59', 86399],
    ['12:00:01', 12 * H + 1],
  ])('reads %s as %i seconds', (clock, seconds) => {
    expect(parseClock(clock)).toBe(seconds);
  });

  it.each(['24:00', '5:00', '05:60', '05:00:60', '0500', '', ' 05:00', '05:00 ', '05:00:0'])('refuses %j', (clock) => {
    expect(parseClock(clock)).toBeUndefined();
  });

  it('writes seconds only when there are some, and wraps past midnight', () => {
    expect(formatClock(5 * H)).toBe('05:00');
    expect(formatClock(5 * H + 7)).toBe('05:00:07');
    expect(formatClock(25 * H)).toBe('01:00');
    expect(formatClock(-60)).toBe('23:59');
  });

  it('round-trips every second of the day', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 86399 }), (s) => parseClock(formatClock(s)) === s));
  });
});

describe('local dates', () => {
  it('knows real dates from impossible ones', () => {
    expect(isLocalDate('2026-02-28')).toBe(true);
    expect(isLocalDate('2028-02-29')).toBe(true);
    expect(isLocalDate('2026-02-29')).toBe(false);
    expect(isLocalDate('2026-13-01')).toBe(false);
    expect(isLocalDate('2026-1-01')).toBe(false);
    expect(isLocalDate('0050-01-01')).toBe(true); // not confused with 1950
  });

  it('adds days across months, years and leap days', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
    expect(addDays('2026-03-08', 0)).toBe('2026-03-08');
    expect(() => addDays('yesterday', 1)).toThrow(RangeError);
  });

  it('gives weekdays with 0 = Sunday', () => {
    expect(weekdayOf('2026-03-08')).toBe(0);
    expect(weekdayOf('2026-03-09')).toBe(1);
    expect(weekdayOf('2026-03-14')).toBe(6);
  });

  it('adding n then -n days gives the date back, and moves the weekday by n', () => {
    const date = fc
      .date({ min: new Date('1971-01-01'), max: new Date('2099-12-31'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10));
    fc.assert(
      fc.property(date, fc.integer({ min: -1000, max: 1000 }), (d, n) => {
        expect(addDays(addDays(d, n), -n)).toBe(d);
        expect(weekdayOf(addDays(d, n))).toBe((((weekdayOf(d) + n) % 7) + 7) % 7);
      }),
    );
  });
});

describe('time zones', () => {
  it('knows a zone from a typo', () => {
    expect(isTimeZone(DEFAULT_TIME_ZONE)).toBe(true);
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Asia/Hanoi_City')).toBe(false);
  });

  it('reads Vietnam at UTC+7 all year', () => {
    expect(zoneOffsetMs(Date.parse('2026-01-15T00:00:00Z'), DEFAULT_TIME_ZONE)).toBe(7 * H * 1000);
    expect(zoneOffsetMs(Date.parse('2026-07-15T00:00:00Z'), DEFAULT_TIME_ZONE)).toBe(7 * H * 1000);
    expect(iso(fromZoned('2026-05-04', 5 * H, DEFAULT_TIME_ZONE))).toBe('2026-05-03T22:00:00.000Z');
    expect(toZoned(Date.parse('2026-05-03T22:00:00.250Z'), DEFAULT_TIME_ZONE)).toEqual({
      date: '2026-05-04',
      seconds: 5 * H + 0.25,
    });
  });

  // The awkward days: a DST gap pushes the wall time forward by the gap, a repeated hour takes its
  // first occurrence (Temporal's 'compatible').
  it.each([
    ['America/New_York', '2026-03-08', '02:30', '2026-03-08T07:30:00.000Z'], // gap → 03:30 EDT
    ['America/New_York', '2026-03-08', '01:59:59', '2026-03-08T06:59:59.000Z'], // just before it
    ['America/New_York', '2026-03-08', '03:00', '2026-03-08T07:00:00.000Z'], // just after it
    ['America/New_York', '2026-11-01', '01:30', '2026-11-01T05:30:00.000Z'], // first 01:30 (EDT)
    ['America/New_York', '2026-11-01', '02:00', '2026-11-01T07:00:00.000Z'],
    ['Europe/Berlin', '2026-03-29', '02:30', '2026-03-29T01:30:00.000Z'], // gap → 03:30 CEST
    ['Europe/Berlin', '2026-10-25', '02:30', '2026-10-25T00:30:00.000Z'], // first 02:30 (CEST)
    ['Australia/Lord_Howe', '2026-10-04', '02:15', '2026-10-03T15:45:00.000Z'], // 30-min gap
    ['Asia/Kathmandu', '2026-05-04', '05:00', '2026-05-03T23:15:00.000Z'], // +05:45
    ['Pacific/Apia', '2011-12-30', '12:00', '2011-12-30T22:00:00.000Z'], // a whole day skipped
  ])('%s %s %s is %s', (zone, date, clock, expected) => {
    expect(iso(fromZoned(date, parseClock(clock)!, zone))).toBe(expected);
  });

  it('takes seconds past 24 h into the next days', () => {
    expect(fromZoned('2026-05-04', 25 * H, DEFAULT_TIME_ZONE)).toBe(fromZoned('2026-05-05', 1 * H, DEFAULT_TIME_ZONE));
  });

  const zones = [
    'Asia/Ho_Chi_Minh',
    'America/New_York',
    'Europe/Berlin',
    'Australia/Lord_Howe',
    'America/Santiago',
    'Pacific/Chatham',
    'UTC',
  ];
  const instant = fc.integer({
    min: Date.parse('2000-01-01T00:00:00Z'),
    max: Date.parse('2040-01-01T00:00:00Z'),
  });

  it('maps the local time of any instant back to it, or to the first instant showing it', () => {
    fc.assert(
      fc.property(instant, fc.constantFrom(...zones), (t, zone) => {
        const z = toZoned(t, zone);
        const back = fromZoned(z.date, z.seconds, zone);
        expect(back).toBeLessThanOrEqual(t);
        expect(toZoned(back, zone)).toEqual(z);
        // Only a repeated hour shows the same wall time twice, and it lasts at most an hour here.
        expect(t - back === 0 || t - back === 3600_000 || t - back === 1800_000).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('never gives an instant whose wall time is earlier than the one asked for', () => {
    const date = fc
      .date({ min: new Date('2000-01-01'), max: new Date('2039-12-31'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10));
    fc.assert(
      fc.property(date, fc.integer({ min: 0, max: 86399 }), fc.constantFrom(...zones), (d, s, zone) => {
        const z = toZoned(fromZoned(d, s, zone), zone);
        // Same day and a wall time at or after the one asked for (later only inside a gap, by
        // at most the gap: one hour in these zones).
        expect(z.date === d || z.date === addDays(d, 1)).toBe(true);
        const shown = z.date === d ? z.seconds : z.seconds + 86400;
        expect(shown).toBeGreaterThanOrEqual(s);
        expect(shown - s).toBeLessThanOrEqual(3600);
      }),
      { numRuns: 300 },
    );
  });
});
