// Window arithmetic (DESIGN §4 Window, §5 rule 1). Shared by the planner, the API guards and the
// web app, so "is 03:15 inside a window?" has one answer everywhere.
//
// Exported helpers:
//   validateWindows(specs)                → error sentence naming the bad window, or undefined
//   overnightTooLong(specs)               → the window whose end was likely typed before its start
//   effectiveWindowSpecs(commune, zones)  → the specs a unit lives by (zone overrides, union)
//   windowInstants(specs, date, timeZone) → the windows of one local date as instants
//   resolvePinned(windows, date, s, tz)   → the instant a pinned local time means on a date
//   findWindow(windows, startAt, ms)      → the window an item [startAt, startAt+ms) fits in
//   pinnedTimeFits(specs, date, clock, ms, tz) → does a pinned item of that length fit a window?
//   describeWindows(specs)                → '05:00–07:30, 17:00–19:00' for messages
//
// Choices:
// - A window with end < start crosses midnight and belongs to the date it starts on. Lists are
//   validated on the 24-hour circle, so 22:00–06:00 and 05:00–07:30 overlap.
// - Such a window may last at most 12 h (overnightTooLong, the API's rule): 19:00–17:00 is far
//   likelier an end typed before its start than 22 h of airtime. The planner does not enforce it,
//   so a list stored before the rule still plans.
// - The windows of a date are merged where they overlap or touch (an item may run across the
//   seam of 05:00–06:00 and 06:00–07:00, which is one stretch of allowed airtime). The merged window
//   keeps the id of the earliest-starting one and remembers all ids, so windowIds still match.
// - Time that belongs to the previous date's windows (a 22:00–06:00 window of yesterday, or a DST
//   day squeezing two windows together) is cut out of today's windows, so the plans of two
//   consecutive dates never share airtime.
// - A window the clock skips (02:10–02:40 on a spring-forward night) maps to the pushed-forward
//   times of fromZoned; one whose end lands before its start that day is dropped for the day.
import { formatClock, fromZoned, addDays, parseClock } from '../time/zoned.js';
import type { PlanWindow } from '../protocol/messages.js';
import type { PlannedWindow, WindowSpec } from './types.js';
import { DEFAULT_WINDOWS } from './types.js';

/** A window of one date as instants, with every spec id merged into it (ids[0] === id). */
export interface DayWindow extends PlannedWindow {
  ids: string[];
}

interface ClockRange {
  id: string;
  /** Seconds after local midnight of the window's date. */
  start: number;
  /** start < end < start + 86400; past 86400 when crossing midnight. */
  end: number;
}

function label(spec: WindowSpec): string {
  return `'${String(spec.id)}' (${String(spec.start)}–${String(spec.end)})`;
}

/** Parses one spec; a string is the reason it is malformed. */
function parseWindow(spec: WindowSpec): ClockRange | string {
  if (typeof spec?.id !== 'string' || spec.id.length === 0) return 'a window has no id';
  const start = parseClock(spec.start);
  const end = parseClock(spec.end);
  if (start === undefined) return `window ${label(spec)} has a malformed start (want HH:MM)`;
  if (end === undefined) return `window ${label(spec)} has a malformed end (want HH:MM)`;
  if (end === start) return `window ${label(spec)} starts and ends at the same time`;
  return { id: spec.id, start, end: end > start ? end : end + 86400 };
}

function parseAll(specs: readonly WindowSpec[]): ClockRange[] {
  return specs.map((spec) => {
    const r = parseWindow(spec);
    if (typeof r === 'string') throw new RangeError(r);
    return r;
  });
}

/**
 * Checks a commune's or a zone's window list: ids present and distinct, times well-formed,
 * end != start, and no two windows overlapping on the 24-hour circle (touching is fine).
 * Returns an English sentence naming the bad window, or undefined when the list is good.
 */
export function validateWindows(specs: readonly WindowSpec[]): string | undefined {
  if (!Array.isArray(specs)) return 'windows must be a list';
  const ranges: ClockRange[] = [];
  const ids = new Set<string>();
  for (const spec of specs) {
    const r = parseWindow(spec);
    if (typeof r === 'string') return r;
    if (ids.has(r.id)) return `two windows are named '${r.id}'`;
    ids.add(r.id);
    ranges.push(r);
  }
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const a = ranges[i]!;
      const b = ranges[j]!;
      // b shifted a day either way catches the overlaps across midnight.
      const clash = [-86400, 0, 86400].some((d) => a.start < b.end + d && b.start + d < a.end);
      if (clash) return `window ${label(specs[i]!)} overlaps window ${label(specs[j]!)}`;
    }
  }
  return undefined;
}

/** The longest a window crossing midnight may last (issue #3: "windows with end before start"). */
export const MAX_OVERNIGHT_HOURS = 12;

/**
 * The API's rule on a window list (after validateWindows): a window whose end comes before its
 * start crosses midnight, and may last at most MAX_OVERNIGHT_HOURS; a longer one is taken for an
 * end typed before its start. Returns the index of the first such window and a sentence naming it.
 */
export function overnightTooLong(specs: readonly WindowSpec[]): { index: number; message: string } | undefined {
  for (const [index, spec] of specs.entries()) {
    const r = parseWindow(spec);
    if (typeof r === 'string' || r.end <= 86400) continue;
    const hours = (r.end - r.start) / 3600;
    if (hours > MAX_OVERNIGHT_HOURS) {
      const shown = Number.isInteger(hours) ? `${hours} h` : `${hours.toFixed(1)} h`;
      return {
        index,
        message: `window ${label(spec)} ends before it starts: across midnight it would last ${shown}, longer than the ${MAX_OVERNIGHT_HOURS} h a window may span overnight; check its end`,
      };
    }
  }
  return undefined;
}

/**
 * The window specs a unit lives by (DESIGN §4: per commune, overridable per zone). If none of its
 * zones overrides windows, the commune's (DEFAULT_WINDOWS when the commune has none); otherwise
 * the union of the overriding zones' windows, which windowInstants merges where they overlap.
 * Union, not intersection, because a unit in "the market" and "village 3" should serve both.
 */
export function effectiveWindowSpecs(
  communeWindows: readonly WindowSpec[] | null | undefined,
  zones: ReadonlyArray<{ windows?: readonly WindowSpec[] | null }>,
): WindowSpec[] {
  const overrides = zones.filter((z) => z.windows && z.windows.length > 0);
  if (overrides.length === 0) {
    return [...(communeWindows && communeWindows.length > 0 ? communeWindows : DEFAULT_WINDOWS)];
  }
  return overrides.flatMap((z) => [...z.windows!]);
}

/** Instants of the ranges on a date, empty ones dropped, merged where overlapping or touching. */
function mergedInstants(ranges: ClockRange[], date: string, timeZone: string): DayWindow[] {
  const raw = ranges
    .map((r) => ({
      id: r.id,
      startAt: fromZoned(date, r.start, timeZone),
      endAt: fromZoned(date, r.end, timeZone),
    }))
    .filter((w) => w.endAt > w.startAt)
    .sort((a, b) => a.startAt - b.startAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const out: DayWindow[] = [];
  for (const w of raw) {
    const last = out[out.length - 1];
    if (last && w.startAt <= last.endAt) {
      last.endAt = Math.max(last.endAt, w.endAt);
      if (!last.ids.includes(w.id)) last.ids.push(w.id);
    } else {
      out.push({ id: w.id, startAt: w.startAt, endAt: w.endAt, ids: [w.id] });
    }
  }
  return out;
}

/**
 * The windows of a local date as instants, sorted and disjoint (see the choices at the top: merged,
 * minus what the previous date's windows already hold). Throws RangeError on a malformed spec;
 * overlapping specs are allowed here (a union of zones) and merged.
 */
export function windowInstants(specs: readonly WindowSpec[], date: string, timeZone: string): DayWindow[] {
  const ranges = parseAll(specs);
  const today = mergedInstants(ranges, date, timeZone);
  if (today.length === 0) return today;
  const spill = mergedInstants(
    ranges.filter((r) => r.end > 86400),
    addDays(date, -1),
    timeZone,
  ).filter((w) => w.endAt > today[0]!.startAt);
  if (spill.length === 0) return today;
  const out: DayWindow[] = [];
  for (const w of today) {
    let pieces: DayWindow[] = [w];
    for (const s of spill) {
      pieces = pieces.flatMap((p) => {
        if (s.endAt <= p.startAt || s.startAt >= p.endAt) return [p];
        const left = { ...p, endAt: s.startAt, ids: [...p.ids] };
        const right = { ...p, startAt: s.endAt, ids: [...p.ids] };
        return [left, right].filter((x) => x.endAt > x.startAt);
      });
    }
    out.push(...pieces);
  }
  return out;
}

/**
 * The instant a pinned local time means in the plan of `date`. A time inside the after-midnight
 * part of one of the date's own windows (00:30 with a 22:00–01:00 window) means tomorrow's 00:30,
 * as the window belongs to the date it starts on; any other time means that time on `date`.
 */
export function resolvePinned(windows: readonly PlanWindow[], date: string, seconds: number, timeZone: string): number {
  const last = windows[windows.length - 1];
  const midnight = fromZoned(addDays(date, 1), 0, timeZone);
  if (last && last.endAt > midnight) {
    const tomorrow = fromZoned(addDays(date, 1), seconds, timeZone);
    if (windows.some((w) => w.startAt <= tomorrow && tomorrow < w.endAt)) return tomorrow;
  }
  return fromZoned(date, seconds, timeZone);
}

/** The window that holds all of [startAt, startAt + durationMs), or undefined. */
export function findWindow<W extends PlanWindow>(
  windows: readonly W[],
  startAt: number,
  durationMs: number,
): W | undefined {
  return windows.find((w) => w.startAt <= startAt && startAt + durationMs <= w.endAt);
}

/**
 * Whether an item pinned at a local time ('HH:MM[:SS]') on a date lies entirely inside one of the
 * windows, for the API's guard on non-emergency pinned bulletins (rule 1). False when the time is
 * malformed. An item starting exactly at a window's end does not fit it.
 */
export function pinnedTimeFits(
  specs: readonly WindowSpec[],
  date: string,
  pinned: string,
  durationMs: number,
  timeZone: string,
): boolean {
  const seconds = parseClock(pinned);
  if (seconds === undefined) return false;
  const windows = windowInstants(specs, date, timeZone);
  const startAt = resolvePinned(windows, date, seconds, timeZone);
  return findWindow(windows, startAt, durationMs) !== undefined;
}

/** '05:00–07:30, 17:00–19:00' (sorted by start; 'no windows' when empty), for messages. */
export function describeWindows(specs: readonly WindowSpec[]): string {
  if (specs.length === 0) return 'no windows';
  const clock = (s: string) => {
    const n = parseClock(s);
    return n === undefined ? s : formatClock(n);
  };
  return [...specs]
    .map((s) => ({ s, at: parseClock(s.start) ?? Infinity }))
    .sort((a, b) => a.at - b.at)
    .map(({ s }) => `${clock(s.start)}–${clock(s.end)}`)
    .join(', ');
}
