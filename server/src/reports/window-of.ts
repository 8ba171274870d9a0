// Which window instance a planned item aired in, for "units that missed a window" (issue #9): the
// unit's own windows (the commune's, or its zones' where they override them), on the item's local
// date or the day before (a window crossing midnight belongs to the date it starts on). Windows
// are not kept per day in history, so these are today's settings: an item that fits none of them
// (the windows were changed since, or an emergency outside windows) counts against its whole
// local day instead, as before.
import { addDays, effectiveWindowSpecs, formatClock, toZoned, windowInstants, type WindowSpec } from '@loa/shared';

export interface WindowInstance {
  /** Unique per unit: the window's start instant, or the local day when no window holds the item. */
  key: string;
  /** '2026-11-03 17:00–19:00', or '2026-11-03' for a whole day. */
  label: string;
  startAt: number;
}

export function windowFinder(
  timeZone: string,
  communeWindows: readonly WindowSpec[],
  zonesOfUnit: (unitId: string) => ReadonlyArray<{ windows?: readonly WindowSpec[] | null }>,
) {
  const specsOf = new Map<string, WindowSpec[]>();
  const instants = new Map<string, ReturnType<typeof windowInstants>>();
  const clock = (t: number) => formatClock(Math.floor(toZoned(t, timeZone).seconds / 60) * 60);

  function windowsOn(unitId: string, date: string) {
    let specs = specsOf.get(unitId);
    if (!specs) specsOf.set(unitId, (specs = effectiveWindowSpecs(communeWindows, zonesOfUnit(unitId))));
    const key = `${JSON.stringify(specs)}|${date}`;
    let list = instants.get(key);
    if (!list) {
      try {
        list = windowInstants(specs, date, timeZone);
      } catch {
        list = []; // a malformed stored list: fall back on the day
      }
      instants.set(key, list);
    }
    return list;
  }

  return (unitId: string, at: number): WindowInstance => {
    const date = toZoned(at, timeZone).date;
    for (const d of [date, addDays(date, -1)]) {
      const w = windowsOn(unitId, d).find((x) => x.startAt <= at && at < x.endAt);
      if (w) return { key: `w${w.startAt}`, label: `${d} ${clock(w.startAt)}–${clock(w.endAt)}`, startAt: w.startAt };
    }
    return { key: `d${date}`, label: date, startAt: at };
  };
}
