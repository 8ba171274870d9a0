// The planner's input and output (DESIGN §4 Domain, §5 Rules of broadcasting). Plain data the
// server builds from SQLite and turns into signed per-unit plans; nothing here does I/O.
import type { Level, MediaRef, PlanItem, PlanWindow } from '../protocol/messages.js';

/**
 * A daily window in local time: 'HH:MM' or 'HH:MM:SS'. `end < start` crosses midnight into the
 * next day (22:00–01:00) and belongs to the date it starts on; `end == start` is invalid.
 */
export interface WindowSpec {
  id: string;
  start: string;
  end: string;
}

/** The national default windows (DESIGN §1), used when a commune sets none of its own. */
export const DEFAULT_WINDOWS: readonly WindowSpec[] = Object.freeze([
  Object.freeze({ id: 'morning', start: '05:00', end: '07:30' }),
  Object.freeze({ id: 'evening', start: '17:00', end: '19:00' }),
]);

export interface PlannerCommune {
  id: string;
  /** IANA zone; every local time of this commune (windows, pinned times, dates) is read in it. */
  timeZone: string;
  /** Readonly so DEFAULT_WINDOWS can be passed as is; [] also means DEFAULT_WINDOWS. */
  windows: readonly WindowSpec[];
}

export interface PlannerZone {
  id: string;
  communeId: string;
  unitIds: string[];
  /** Overrides the commune's windows for the zone's units. null, undefined or [] inherit them. */
  windows?: readonly WindowSpec[] | null;
}

export interface PlannerUnit {
  id: string;
  communeId: string;
}

export interface PlannerBulletin {
  id: string;
  communeId: string;
  title?: string;
  level: Level;
  /** ms; the order among same-level items (ties by id). */
  approvedAt: number;
  /** ms; an item airs only if it starts at or after validFrom and ends at or before validUntil. */
  validFrom: number;
  validUntil: number;
  targets: { commune: boolean; zoneIds: string[]; unitIds: string[] };
  /**
   * days: 0 = Sunday … 6, of the plan date. With pinnedTimes ('HH:MM[:SS]' local) the item airs at
   * those times; otherwise it is packed into the unit's windows (those in windowIds when given).
   */
  recurrence: { days: number[]; windowIds?: string[]; pinnedTimes?: string[] };
  /** Airs `count` times per window or pinned time, each repeat gapSeconds after the last ended. */
  repeat: { count: number; gapSeconds: number };
  media: MediaRef;
  /** A relay bulletin (issue #8): `media` is a stand-in for the slot; units pull this stream. */
  relay?: { url: string };
  /** 0..100 */
  volume: number;
  /**
   * ms; the earliest instant a packed (not pinned) occurrence may start. The server sets it to the
   * approval time plus the time media needs to reach the units, so a bulletin approved in the middle
   * of a window is packed after that moment, never into the past. Being a stored fact of the
   * bulletin, not the clock, it keeps re-plans deterministic.
   */
  notBefore?: number;
}

export interface PlannerInput {
  /** The local date (YYYY-MM-DD) planned, read in each commune's own time zone. */
  date: string;
  // Read only: the server keeps its zones and units between plans (frozen), the planner copies.
  communes: readonly PlannerCommune[];
  zones: readonly PlannerZone[];
  units: readonly PlannerUnit[];
  bulletins: readonly PlannerBulletin[];
}

/** A window of one day as instants, named by the id of the spec it comes from. */
export type PlannedWindow = PlanWindow & { id: string };

/**
 * Units planned alike share one frozen copy of their windows and items (planner.ts: thousands of
 * units per group would otherwise mean millions of copies); copy before changing anything.
 */
export interface UnitDayPlan {
  unitId: string;
  date: string;
  windows: readonly Readonly<PlannedWindow>[];
  /** Sorted by startAt, never overlapping. Ids are `${bulletinId}@${date}#${occurrence}`. */
  items: readonly Readonly<PlanItem>[];
}

export type OverbookedReason =
  'window-full' | 'outside-window' | 'no-window' | 'pinned-conflict' | 'not-valid' | 'invalid';

export interface OverbookedItem {
  unitId: string;
  bulletinId: string;
  date: string;
  /** The same numbering as the item id would have had: 1, 2, … per bulletin, unit and date. */
  occurrence: number;
  reason: OverbookedReason | (string & {});
  /** An English sentence for the operator naming the bulletin, window and local times. */
  detail: string;
}

export interface PlannerResult {
  /** One per unit of the input, sorted by unitId. */
  plans: UnitDayPlan[];
  /** Sorted by unitId, bulletinId, occurrence. */
  overbooked: OverbookedItem[];
}
