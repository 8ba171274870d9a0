// What plays on which zone: the commune timeline (the day's plans with the units that follow each,
// from the same planner that builds the published plans) regrouped by zone, since operators think
// in zones, not units.
import type { CommuneTimeline, PlanItem, PlannedWindow, Zone } from '../lib/types.js';

export interface ZoneRow {
  /** null: the units in no zone. */
  zoneId: string | null;
  name: string;
  unitIds: string[];
  windows: PlannedWindow[];
  items: PlanItem[];
}

export function rowsByZone(timeline: CommuneTimeline, zones: readonly Zone[], outsideName: string): ZoneRow[] {
  const plans = new Map(timeline.plans.flatMap((p) => p.unitIds.map((id) => [id, p] as const)));
  const names = new Map(zones.map((z) => [z.id, z.name]));
  const inSomeZone = new Set<string>();
  const rows: ZoneRow[] = [];
  const build = (zoneId: string | null, name: string, unitIds: string[]): ZoneRow => {
    const windows = new Map<string, PlannedWindow>();
    const items = new Map<string, PlanItem>();
    for (const id of unitIds) {
      const plan = plans.get(id);
      if (!plan) continue;
      for (const w of plan.windows) windows.set(`${w.startAt}-${w.endAt}`, w);
      for (const item of plan.items) if (!items.has(item.id)) items.set(item.id, item);
    }
    return {
      zoneId,
      name,
      unitIds,
      windows: [...windows.values()].sort((a, b) => a.startAt - b.startAt),
      items: [...items.values()].sort((a, b) => a.startAt - b.startAt),
    };
  };
  for (const z of timeline.zones) {
    z.unitIds.forEach((id) => inSomeZone.add(id));
    rows.push(build(z.id, names.get(z.id) ?? z.id, z.unitIds));
  }
  rows.sort((a, b) => a.name.localeCompare(b.name, 'vi'));
  const outside = [...plans.keys()].filter((id) => !inSomeZone.has(id)).sort();
  if (outside.length > 0) rows.push(build(null, outsideName, outside));
  return rows;
}

export const itemEnd = (item: PlanItem) => item.startAt + item.media.durationMs;

/**
 * What a unit reports playing (a plan item id, `${bulletinId}@${date}#${n}`) as people read it: the
 * item's title when the plan has it, else the bulletin id.
 */
export function playingTitle(playing: string, items: readonly PlanItem[]): string {
  return items.find((i) => i.id === playing)?.title ?? playing.split('@')[0] ?? playing;
}

/** The items sounding at `now`, each once, with the zones they sound on. */
export function playingNow(rows: readonly ZoneRow[], now: number): Array<{ item: PlanItem; zones: string[] }> {
  const found = new Map<string, { item: PlanItem; zones: string[] }>();
  for (const row of rows)
    for (const item of row.items)
      if (item.startAt <= now && now < itemEnd(item)) {
        const entry = found.get(item.id) ?? { item, zones: [] };
        entry.zones.push(row.name);
        found.set(item.id, entry);
      }
  return [...found.values()];
}
