// Plans one unit's day from its windows and the bulletins aimed at it (DESIGN §5 rules 1–3). The
// planner calls this once per group of units sharing windows and bulletins, and copies the result.
//
// Order of business (rule 2):
// 1. Pinned occurrences, at their exact instants. Among overlapping pinned items, emergency ones
//    win (Thông tư 39: an emergency pre-empts everything), then the earlier approved, then the
//    smaller bulletin id; the loser is reported 'pinned-conflict'.
// 2. Packed occurrences: emergency, then priority, then ordinary bulletins, each level by
//    approvedAt then id. Each takes, window by window, `count` first-fit slots: the first at or
//    after the window's start, each repeat at or after the end of the previous one plus the gap.
//    Later (lower) items may fill the gaps left between earlier ones' repeats.
// An occurrence whose whole slot (pinned interval, or window) lies outside the bulletin's validity,
// or ends before its notBefore, was never due and is left out silently; anything due that does not
// air is reported.
//
// Occurrence numbers, 1, 2, … per bulletin: pinned times in clock order × repeats, or the unit's
// matching windows in time order × repeats. They depend only on the bulletin and the unit's
// windows, so an item keeps its id (`${bulletinId}@${date}#${n}`) when other bulletins change.
// Repeats of a pinned time are pinned too: exactly `gapSeconds` after the previous one ends.
import type { Level, MediaRef, PlanItem } from '../protocol/messages.js';
import { formatClock, type ZonedParts } from '../time/zoned.js';
import { sortSmall, Timeline } from './timeline.js';
import type { OverbookedItem, PlannerBulletin } from './types.js';
import { findWindow, type DayWindow } from './windows.js';

/** A bulletin read once per planDay call: parsed, sanitised, ready for every group. */
export interface PreparedBulletin {
  src: PlannerBulletin;
  /** "'Title' (id)" or "id", for the operator. */
  name: string;
  level: Level;
  /** 0 emergency, 1 priority, 2 ordinary. */
  rank: number;
  title: string | undefined;
  media: MediaRef;
  volume: number;
  durationMs: number;
  count: number;
  gapMs: number;
  /** Sorted distinct seconds of the pinned times; undefined when packed into windows. */
  pinned: number[] | undefined;
  /** Pinned times that do not parse; each is reported 'invalid'. */
  badPinned: string[];
  /** undefined: all windows. */
  windowIds: Set<string> | undefined;
}

export interface UnitDayContext {
  date: string;
  /** [local midnight of the date, local midnight of the next date). */
  dayStart: number;
  dayEnd: number;
  windows: DayWindow[];
  /** Bulletins aimed at the unit, of its commune and weekday, sorted by id. */
  bulletins: readonly PreparedBulletin[];
  /** Instant of a pinned time on this date (resolvePinned, memoised by the caller). */
  pinnedAt: (seconds: number) => number;
  /** toZoned in the commune's zone (memoised by the caller: Intl is slow). */
  localTime: (t: number) => ZonedParts;
}

export type UnitDayOverbooked = Omit<OverbookedItem, 'unitId'>;
export interface UnitDayResult {
  windows: DayWindow[];
  /** Sorted by startAt. */
  items: PlanItem[];
  /** Sorted by bulletinId, occurrence. */
  overbooked: UnitDayOverbooked[];
}

interface Pinned {
  b: PreparedBulletin;
  n: number;
  startAt: number;
  clock: number;
  k: number;
}

export function planUnitDay(ctx: UnitDayContext): UnitDayResult {
  const { date, windows } = ctx;
  const timeline = new Timeline<PreparedBulletin>();
  const items: PlanItem[] = [];
  const overbooked: UnitDayOverbooked[] = [];

  // Sentences for the operator: "'Title' (id), occurrence n (repeat k of c), <why>."
  const clock = (t: number) => formatClock(ctx.localTime(t).seconds);
  const stamp = (t: number) => `${ctx.localTime(t).date} ${clock(t)}`;
  const span = (a: number, b: number) => `${clock(a)}–${clock(b)}`;
  const windowName = (w: DayWindow) => `window '${w.id}' (${span(w.startAt, w.endAt)})`;
  const allWindows = () => windows.map((w) => span(w.startAt, w.endAt)).join(', ');
  const validity = (b: PreparedBulletin) => `${stamp(b.src.validFrom)} to ${stamp(b.src.validUntil)}`;
  const repeatOf = (b: PreparedBulletin, k: number) => (b.count > 1 ? `repeat ${k + 1} of ${b.count}` : '');
  const report = (b: PreparedBulletin, n: number, reason: OverbookedItem['reason'], notes: string[], why: string) => {
    const note = notes.filter(Boolean).join(', ');
    const detail = `${b.name}, occurrence ${n}${note ? ` (${note})` : ''}, ${why}.`;
    overbooked.push({ bulletinId: b.src.id, date, occurrence: n, reason, detail });
  };
  const validToday = (b: PreparedBulletin) => b.src.validFrom < ctx.dayEnd && b.src.validUntil > ctx.dayStart;
  const place = (b: PreparedBulletin, n: number, startAt: number) => {
    timeline.take(startAt, startAt + b.durationMs, b);
    const id = `${b.src.id}@${date}#${n}`;
    const { level, media, volume, title } = b;
    const { id: bulletinId, validUntil } = b.src;
    const item: PlanItem =
      title === undefined
        ? { id, bulletinId, level, media, startAt, validUntil, volume }
        : { id, bulletinId, title, level, media, startAt, validUntil, volume };
    // A relay (issue #8): the agent pulls the station itself; `media` names only the slot.
    if (b.src.relay) item.relay = { url: b.src.relay.url };
    items.push(item);
  };

  // 1. Pinned occurrences, at their exact instants.
  const pinned: Pinned[] = [];
  for (const b of ctx.bulletins) {
    if (!b.pinned) continue;
    let n = 0;
    for (const s of b.pinned) {
      const base = ctx.pinnedAt(s);
      for (let k = 0; k < b.count; k++) {
        pinned.push({ b, n: ++n, startAt: base + k * (b.durationMs + b.gapMs), clock: s, k });
      }
    }
    for (const bad of b.badPinned) {
      for (let k = 0; k < b.count; k++) {
        n++;
        if (validToday(b))
          report(b, n, 'invalid', [repeatOf(b, k)], `has a malformed pinned time '${bad}' (want HH:MM)`);
      }
    }
  }
  sortSmall(
    pinned,
    (x, y) =>
      (x.b.rank === 0 ? 0 : 1) - (y.b.rank === 0 ? 0 : 1) ||
      x.b.src.approvedAt - y.b.src.approvedAt ||
      cmp(x.b.src.id, y.b.src.id) ||
      x.n - y.n,
  );
  for (const o of pinned) {
    const { b } = o;
    const end = o.startAt + b.durationMs;
    if (end <= b.src.validFrom || o.startAt >= b.src.validUntil) continue; // never due
    const notes = [`pinned at ${formatClock(o.clock)}`, repeatOf(b, o.k)];
    const run = `would run ${stamp(o.startAt)}–${clock(end)}`;
    if (o.startAt < b.src.validFrom || end > b.src.validUntil) {
      report(b, o.n, 'not-valid', notes, `${run}, outside its validity (${validity(b)})`);
    } else if (b.rank !== 0 && !findWindow(windows, o.startAt, b.durationMs)) {
      // Rule 1: nothing but an emergency sounds outside a window.
      if (windows.length === 0) report(b, o.n, 'no-window', notes, `${run}, but the unit has no window that day`);
      else report(b, o.n, 'outside-window', notes, `${run}, not inside a window (${allWindows()})`);
    } else {
      const clash = timeline.overlap(o.startAt, end);
      if (!clash) {
        place(b, o.n, o.startAt);
        continue;
      }
      const why = clash.owner.rank === 0 && b.rank !== 0 ? 'an emergency' : 'approved earlier';
      const other = `${clash.owner.name} at ${span(clash.start, clash.end)} (${why})`;
      report(b, o.n, 'pinned-conflict', notes, `${run}, overlapping ${other}`);
    }
  }

  // 2. Packed occurrences, by level then approval order.
  const packed = ctx.bulletins.filter((b) => !b.pinned);
  sortSmall(packed, (x, y) => x.rank - y.rank || x.src.approvedAt - y.src.approvedAt || cmp(x.src.id, y.src.id));
  for (const b of packed) {
    const ids = b.windowIds;
    const targets = ids ? windows.filter((w) => w.ids.some((id) => ids.has(id))) : windows;
    if (targets.length === 0) {
      if (!validToday(b)) continue;
      const named = [...(ids ?? [])]
        .sort(cmp)
        .map((i) => `'${i}'`)
        .join(', '); // sorted: rule 4
      const why =
        windows.length === 0
          ? `has no window to air in on ${date}: the unit has none that day`
          : `has no window to air in on ${date}: its windows ${named} are not among the unit's (${allWindows()})`;
      for (let k = 0; k < b.count; k++) report(b, k + 1, 'no-window', [repeatOf(b, k)], why);
      continue;
    }
    let n = 0;
    for (const w of targets) {
      const lo = Math.max(w.startAt, b.src.validFrom, b.src.notBefore ?? -Infinity);
      const hi = Math.min(w.endAt, b.src.validUntil);
      if (hi <= lo) {
        n += b.count; // not valid at any time of this window: nothing was due
        continue;
      }
      let lower = lo;
      for (let k = 0; k < b.count; k++) {
        const t = timeline.firstFit(lower, hi, b.durationMs);
        if (t !== undefined) {
          place(b, ++n, t);
          lower = t + b.durationMs + b.gapMs;
          continue;
        }
        // It does not fit, and no later repeat can (each would start later still): report them all,
        // blaming validity when the window alone would still have had room.
        const free = timeline.firstFit(k === 0 ? w.startAt : lower, w.endAt, b.durationMs) !== undefined;
        const where = `does not fit in ${windowName(w)} on ${date}`;
        const why = free
          ? `${where} within its validity (${validity(b)})`
          : b.durationMs > w.endAt - w.startAt
            ? `${where}: it is longer than the window`
            : `${where}: the window is full`;
        for (; k < b.count; k++) {
          report(b, ++n, free ? 'not-valid' : 'window-full', [repeatOf(b, k), formatDuration(b.durationMs)], why);
        }
        break;
      }
    }
  }

  sortSmall(items, (x, y) => x.startAt - y.startAt);
  sortSmall(overbooked, (x, y) => cmp(x.bulletinId, y.bulletinId) || x.occurrence - y.occurrence);
  return { windows, items, overbooked };
}

/** Code-unit order: fast and the same in every locale, which determinism needs. */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** '30 min', '4 min 05 s', '45 s'. */
function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  return s % 60 ? `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s` : `${s / 60} min`;
}
