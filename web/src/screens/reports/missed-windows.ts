// The report's missed windows (server/src/reports), grouped for the page: one entry per unit.

export interface MissedWindow {
  unitId: string;
  unit: string;
  /** '2026-11-03 17:00–19:00' in the commune's time zone, or a whole day '2026-11-03'. */
  window: string;
  startAt: number;
}

/** One entry per unit, by name, with its missed windows in time order. */
export function missedByUnit(
  missed: readonly MissedWindow[],
): Array<{ unitId: string; unit: string; windows: string[] }> {
  const byUnit = new Map<string, { unitId: string; unit: string; windows: MissedWindow[] }>();
  for (const m of missed) {
    const entry = byUnit.get(m.unitId) ?? { unitId: m.unitId, unit: m.unit, windows: [] };
    entry.windows.push(m);
    byUnit.set(m.unitId, entry);
  }
  return [...byUnit.values()]
    .sort((a, b) => a.unit.localeCompare(b.unit, 'vi') || a.unitId.localeCompare(b.unitId))
    .map((e) => ({
      unitId: e.unitId,
      unit: e.unit,
      windows: [...e.windows].sort((a, b) => a.startAt - b.startAt).map((w) => w.window),
    }));
}
