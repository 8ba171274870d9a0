// What the live feed says about a unit, as data: applied to the units on screen as it arrives, and
// applied again to a freshly read list when it is newer than what the list holds. A list read while
// units change (after the WebSocket reconnects, or when a new unit appears) would otherwise
// overwrite with its older snapshot a unit that went offline while the list was on its way.
import type { TelemetryMessage, Unit } from '../lib/types.js';

/** `at` is the server's clock when it heard the unit, as `lastSeen` in the list is. */
export type UnitChange =
  | { kind: 'status'; unitId: string; online: boolean; at: number }
  | { kind: 'telemetry'; unitId: string; sample: TelemetryMessage; at: number }
  | { kind: 'plan'; unitId: string; version: number };

export function applyChange(u: Unit, c: UnitChange): Unit {
  switch (c.kind) {
    case 'status':
      return { ...u, online: c.online, statusSince: c.at, lastSeen: c.at };
    case 'telemetry':
      return {
        ...u,
        telemetry: c.sample,
        lastSeen: c.at,
        reportedPlanVersion: c.sample.planVersion ?? u.reportedPlanVersion,
      };
    case 'plan':
      return { ...u, publishedPlanVersion: c.version };
  }
}

/**
 * Whether the list's copy of a unit does not hold this change yet. The server stores a status at
 * once and a telemetry sample within a second (issue #10's batched writes), each with the instant
 * it heard it as `lastSeen`; a plan version only grows.
 */
export function isNewer(u: Unit, c: UnitChange): boolean {
  if (c.kind === 'plan') return u.publishedPlanVersion === null || c.version > u.publishedPlanVersion;
  return u.lastSeen === null || c.at > u.lastSeen;
}

/** The units of a list just read, with the changes heard meanwhile that it does not hold, in order. */
export function withChanges(list: readonly Unit[], heard: readonly UnitChange[]): Map<string, Unit> {
  const byId = new Map(list.map((u) => [u.id, u]));
  const listed = new Map(byId);
  for (const c of heard) {
    const current = byId.get(c.unitId);
    const asListed = listed.get(c.unitId);
    // Judged against the list's own copy, so a status and the telemetry heard after it both apply.
    if (current && asListed && isNewer(asListed, c)) byId.set(c.unitId, applyChange(current, c));
  }
  return byId;
}

/**
 * What the feed said lately (client clock), so a list read now can be given what it lacks: the
 * last `lookbackMs` before it was asked for (the server writes telemetry in batches, so a list may
 * lag the feed by up to a second), and everything heard while it is on its way, however long.
 */
export class HeardLog {
  private entries: Array<[heardAt: number, change: UnitChange]> = [];
  private readingSince: number | undefined;

  constructor(private readonly lookbackMs: number) {}

  /** A list is asked for at `now`: what is heard from the returned instant counts for it. */
  startRead(now: number): number {
    this.readingSince = now - this.lookbackMs;
    return this.readingSince;
  }

  endRead() {
    this.readingSince = undefined;
  }

  add(change: UnitChange, now: number) {
    const keepFrom = Math.min(now - this.lookbackMs, this.readingSince ?? Infinity);
    // Pruned in one go once the oldest is well past, rather than one entry per message.
    const oldest = this.entries[0];
    if (oldest && oldest[0] < keepFrom - this.lookbackMs) this.entries = this.entries.filter(([at]) => at >= keepFrom);
    this.entries.push([now, change]);
  }

  since(from: number): UnitChange[] {
    return this.entries.filter(([at]) => at >= from).map(([, c]) => c);
  }

  /** How many changes are kept (for the test of the pruning). */
  get size() {
    return this.entries.length;
  }

  clear() {
    this.entries = [];
  }
}
