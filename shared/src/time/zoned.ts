// Local wall-clock time in a commune's time zone ↔ absolute instants, with nothing but Intl.
// Windows and pinned times are written in local time (DESIGN §4); plans carry instants (ms UTC).

export const DEFAULT_TIME_ZONE = 'Asia/Ho_Chi_Minh';

const CLOCK_RE = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** 'HH:MM' or 'HH:MM:SS' → seconds after local midnight; undefined when malformed. */
export function parseClock(clock: string): number | undefined {
  const m = CLOCK_RE.exec(clock);
  if (!m) return undefined;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0);
}

export function formatClock(seconds: number): string {
  const s = ((Math.floor(seconds) % 86400) + 86400) % 86400;
  const hh = String(Math.floor(s / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = s % 60;
  return ss ? `${hh}:${mm}:${String(ss).padStart(2, '0')}` : `${hh}:${mm}`;
}

/** Midnight UTC of a calendar date, as ms. Not `Date.UTC`, which maps years 0–99 to 1900–1999. */
function utcMidnight(year: number, month: number, day: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  return d.getTime();
}

/** The 'YYYY-MM-DD' of a UTC day number's midnight (4-digit years only, as DATE_RE accepts). */
function formatUtcDate(ms: number): string {
  const d = new Date(ms);
  const y = String(d.getUTCFullYear()).padStart(4, '0');
  return `${y}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

/** Midnight UTC of a 'YYYY-MM-DD' string; throws RangeError when malformed. */
function dateToUtc(date: string): number {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`not a date: ${date}`);
  return utcMidnight(Number(m[1]), Number(m[2]), Number(m[3]));
}

export function isLocalDate(date: string): boolean {
  const m = DATE_RE.exec(date);
  if (!m) return false;
  return formatUtcDate(utcMidnight(Number(m[1]), Number(m[2]), Number(m[3]))) === date;
}

/** 'YYYY-MM-DD' plus n days. */
export function addDays(date: string, days: number): string {
  return formatUtcDate(dateToUtc(date) + Math.trunc(days) * 86_400_000);
}

/** Day of week of a local date, 0 = Sunday … 6 = Saturday. */
export function weekdayOf(date: string): number {
  return new Date(dateToUtc(date)).getUTCDay();
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

export interface ZonedParts {
  date: string;
  /** Seconds after local midnight. */
  seconds: number;
}

/** The local date and time of an instant in a time zone. */
export function toZoned(instant: number, timeZone: string): ZonedParts {
  const parts = formatterFor(timeZone).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const date = `${String(get('year')).padStart(4, '0')}-${String(get('month')).padStart(2, '0')}-${String(get('day')).padStart(2, '0')}`;
  const ms = ((instant % 1000) + 1000) % 1000;
  return { date, seconds: get('hour') * 3600 + get('minute') * 60 + get('second') + ms / 1000 };
}

/** Offset of the zone from UTC at an instant, in ms (Asia/Ho_Chi_Minh: +7 h). */
export function zoneOffsetMs(instant: number, timeZone: string): number {
  // Whole seconds: Intl does not format milliseconds, and every real offset is whole seconds.
  const whole = Math.floor(instant / 1000) * 1000;
  const z = toZoned(whole, timeZone);
  return dateToUtc(z.date) + z.seconds * 1000 - whole;
}

const DAY_MS = 86_400_000;

/**
 * The instant at which the local clock in `timeZone` shows `date` + `seconds` (seconds may exceed
 * 86400 or be fractional). The disambiguation is Temporal's 'compatible' one, the least
 * surprising for a loudspeaker: in a DST gap the wall time is pushed forward by the length of the
 * gap (2026-03-08 02:30 America/New_York → 03:30 EDT = 07:30Z), so an item never airs before the
 * time it was asked for; in a repeated hour the first occurrence wins, so it never airs an hour
 * late.
 */
export function fromZoned(date: string, seconds: number, timeZone: string): number {
  // ~20 µs each (four Intl calls), and a planner asks for the same few local times of a day
  // thousands of times: remember exact answers, in a map bounded by clearing it when full.
  const key = `${timeZone}|${date}|${seconds}`;
  let t = fromZonedMemo.get(key);
  if (t === undefined) {
    t = computeFromZoned(date, seconds, timeZone);
    if (fromZonedMemo.size >= FROM_ZONED_MEMO_MAX) fromZonedMemo.clear();
    fromZonedMemo.set(key, t);
  }
  return t;
}
const fromZonedMemo = new Map<string, number>();
const FROM_ZONED_MEMO_MAX = 50_000;

function computeFromZoned(date: string, seconds: number, timeZone: string): number {
  const wall = dateToUtc(date) + Math.round(seconds * 1000);
  // Offsets a day either side bracket any transition near `wall` (as Temporal does); a zone with
  // two transitions within two days does not exist.
  const before = zoneOffsetMs(wall - DAY_MS, timeZone);
  const after = zoneOffsetMs(wall + DAY_MS, timeZone);
  if (before === after) {
    // No transition nearby, or one whose offsets differ from the edges only inside the bracket:
    // refine once from the offset at the guess.
    const guess = wall - before;
    const at = zoneOffsetMs(guess, timeZone);
    if (at === before) return guess;
    const retry = wall - at;
    return zoneOffsetMs(retry, timeZone) === at ? retry : guess;
  }
  const early = wall - before; // reading the wall time with the offset in force before
  const late = wall - after; // … and with the offset in force after
  const earlyOk = zoneOffsetMs(early, timeZone) === before;
  const lateOk = zoneOffsetMs(late, timeZone) === after;
  if (earlyOk && lateOk) return Math.min(early, late); // repeated hour: first occurrence
  if (earlyOk) return early;
  if (lateOk) return late;
  // DST gap: the wall time never shows. Reading it with the earlier offset lands `gap` later on
  // the clock, which is the push forward.
  return early;
}
