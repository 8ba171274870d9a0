// The alerts store (DESIGN §4 "Alert"): one raised alert per unit and kind at a time. Raising an
// alert already raised updates its message; clearing closes it and keeps it as history. Every
// change is announced on the hub as 'alert' (the dashboard, notifications). Rules that raise and
// clear alerts live beside their cause (clock.ts: the clock offset; low disk).
import type { Db } from '../db/database.js';
import type { Hub } from '../hub.js';
import { alertsRepo, type AlertRow } from './alerts.repo.js';

export interface AlertView {
  id: number;
  unitId: string | null;
  kind: string;
  state: 'raised' | 'cleared';
  message: string;
  raisedAt: number;
  clearedAt: number | null;
  detail: Record<string, unknown> | null;
}

export function toAlertView(row: AlertRow): AlertView {
  return {
    id: row.id,
    unitId: row.unit_id,
    kind: row.kind,
    state: row.state,
    message: row.message,
    raisedAt: row.raised_at,
    clearedAt: row.cleared_at,
    detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null,
  };
}

/** The key of one unit's alert of one kind in the index of raised alerts (NUL is in neither). */
const keyOf = (unitId: string | null, kind: string) => `${unitId ?? ''}\0${kind}`;

export function alertsService(db: Db, hub: Hub) {
  const repo = alertsRepo(db);
  // Issue #10: every telemetry sample and play event asks whether some alert is raised to clear it
  // (thousands a second at province scale), and nearly always none is. The raised ones are known
  // here, so that answer costs no query; this service is the only writer of the table.
  const raised = new Set(repo.raisedKeys().map((r) => keyOf(r.unit_id, r.kind)));
  const openRow = (unitId: string | null, kind: string) =>
    raised.has(keyOf(unitId, kind)) ? repo.open(unitId, kind) : undefined;
  const announce = (row: AlertRow, at: number) =>
    hub.emit('alert', { unitId: row.unit_id, kind: row.kind, state: row.state, at, id: row.id, message: row.message });

  return {
    /** Raises (or updates) the alert of this kind for this unit; announces it when it changed. */
    raise(unitId: string | null, kind: string, message: string, detail?: Record<string, unknown>): AlertView {
      const now = Date.now();
      const detailText = detail ? JSON.stringify(detail) : null;
      const open = openRow(unitId, kind);
      if (open) {
        if (open.message === message && open.detail === detailText) return toAlertView(open);
        repo.update(open.id, message, detailText);
      }
      const id = open?.id ?? repo.insert(unitId, kind, message, now, detailText);
      raised.add(keyOf(unitId, kind));
      const row = repo.get(id)!;
      announce(row, now);
      return toAlertView(row);
    },
    /** Clears the raised alert of this kind, if any; idempotent. */
    clear(unitId: string | null, kind: string): AlertView | undefined {
      const open = openRow(unitId, kind);
      if (!open) return undefined;
      const now = Date.now();
      repo.clear(open.id, now);
      raised.delete(keyOf(unitId, kind));
      const row = repo.get(open.id)!;
      announce(row, now);
      return toAlertView(row);
    },
    /** The raised alert of this kind for this unit, if any (rules read what raised it). */
    open(unitId: string | null, kind: string): AlertView | undefined {
      const row = openRow(unitId, kind);
      return row ? toAlertView(row) : undefined;
    },
    /** The stored row (with the unit's commune, for scope checks). */
    get: (id: number): AlertRow | undefined => repo.get(id),
    /**
     * Cleared by a person (the technician fixed it, or no good sign will come): who is kept in the
     * alert's detail, beside the audit entry. A rule raises it anew if its cause shows again.
     */
    clearByHand(id: number, by: string): AlertView | undefined {
      const open = repo.get(id);
      if (!open) return undefined;
      if (open.state === 'cleared') return toAlertView(open);
      const detail = { ...(open.detail ? (JSON.parse(open.detail) as Record<string, unknown>) : {}), clearedBy: by };
      repo.update(open.id, open.message, JSON.stringify(detail));
      const now = Date.now();
      repo.clear(open.id, now);
      raised.delete(keyOf(open.unit_id, open.kind));
      const row = repo.get(open.id)!;
      announce(row, now);
      return toAlertView(row);
    },
    list(filter: { state: 'raised' | 'all'; unitId?: string; limit?: number }) {
      return repo.list({ ...filter, limit: filter.limit ?? 500 }).map((r) => ({ row: r, view: toAlertView(r) }));
    },
  };
}
export type AlertsService = ReturnType<typeof alertsService>;
