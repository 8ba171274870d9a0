// As-run reports (nhật ký phát, issue #9): planned against aired, by day, month, unit, zone or
// bulletin, with what failed and why and which units missed a window. The proof of broadcast a
// commune sends upward every month.
import { toZoned, type WindowSpec } from '@loa/shared';
import type { Db } from '../db/database.js';
import { HttpError } from '../http-error.js';
import { windowFinder } from './window-of.js';

export type GroupBy = 'day' | 'month' | 'unit' | 'zone' | 'bulletin';

export interface ReportRow {
  key: string;
  label: string;
  plannedCount: number;
  plannedMinutes: number;
  airedCount: number;
  airedMinutes: number;
  failedCount: number;
  skippedCount: number;
  refusedCount: number;
  /** Distinct reasons of what did not air, with how often. */
  reasons: Record<string, number>;
  /** Units that missed at least one window: something planned in it, nothing of it aired. */
  missedUnits: string[];
  /** Each window instance a unit missed, in time order. */
  missedWindows: MissedWindow[];
}

export interface MissedWindow {
  unitId: string;
  unit: string;
  /** '2026-11-03 17:00–19:00' in the commune's time zone (a whole day when no window holds it). */
  window: string;
  startAt: number;
}

interface Joined {
  unit_id: string;
  unit_name: string;
  bulletin_id: string;
  title: string | null;
  scheduled_at: number;
  duration_ms: number;
  outcome: string | null;
  aired_ms: number | null;
  reason: string | null;
}

const AIRED = new Set(['finished', 'preempted']);

export function reportsService(db: Db) {
  const rows = db.prepare(
    `SELECT p.unit_id, u.name AS unit_name, p.bulletin_id, b.title, p.scheduled_at, p.duration_ms,
            l.outcome, l.duration_ms AS aired_ms, l.reason
     FROM planned_items p
     JOIN units u ON u.id = p.unit_id
     LEFT JOIN bulletins b ON b.id = p.bulletin_id
     LEFT JOIN play_log l ON l.unit_id = p.unit_id AND l.item_id = p.item_id
     WHERE u.commune_id = ? AND p.scheduled_at >= ? AND p.scheduled_at < ?
     ORDER BY p.scheduled_at`,
  );
  const commune = db.prepare('SELECT id, name, time_zone, windows FROM communes WHERE id = ?');
  const zonesOf = db.prepare(
    'SELECT z.id, z.name, z.windows, zu.unit_id FROM zones z JOIN zone_units zu ON zu.zone_id = z.id WHERE z.commune_id = ?',
  );

  return {
    report(communeId: string, from: number, to: number, groupBy: GroupBy) {
      const c = commune.get(communeId) as { id: string; name: string; time_zone: string; windows: string } | undefined;
      if (!c) throw new HttpError(404, 'commune-not-found', `There is no commune ${communeId}.`);
      if (!(from < to)) throw new HttpError(400, 'invalid-range', '"from" must come before "to".', 'from');
      const data = rows.all(communeId, from, to) as Joined[];
      const zones = new Map<string, Array<{ id: string; name: string; windows: WindowSpec[] | null }>>();
      for (const z of zonesOf.all(communeId) as Array<{
        id: string;
        name: string;
        windows: string | null;
        unit_id: string;
      }>) {
        const windows = z.windows ? (JSON.parse(z.windows) as WindowSpec[]) : null;
        zones.set(z.unit_id, [...(zones.get(z.unit_id) ?? []), { id: z.id, name: z.name, windows }]);
      }
      const windowOf = windowFinder(c.time_zone, JSON.parse(c.windows) as WindowSpec[], (u) => zones.get(u) ?? []);
      const groups = new Map<string, ReportRow>();
      // Per group × unit × window instance (issue #9): a unit that aired the morning window but
      // missed the evening one is listed for the evening.
      const unitWindow = new Map<string, { planned: number; aired: number; missed: MissedWindow; group: string }>();
      for (const r of data) {
        const day = toZoned(r.scheduled_at, c.time_zone).date;
        const win = windowOf(r.unit_id, r.scheduled_at);
        const keys: Array<[string, string]> =
          groupBy === 'day'
            ? [[day, day]]
            : groupBy === 'month'
              ? [[day.slice(0, 7), day.slice(0, 7)]]
              : groupBy === 'unit'
                ? [[r.unit_id, r.unit_name]]
                : groupBy === 'bulletin'
                  ? [[r.bulletin_id, r.title ?? r.bulletin_id]]
                  : (zones.get(r.unit_id) ?? [{ id: '-', name: '(no zone)' }]).map(
                      (z) => [z.id, z.name] as [string, string],
                    );
        const aired = r.outcome !== null && AIRED.has(r.outcome);
        for (const [key, label] of keys) {
          const g = groups.get(key) ?? emptyRow(key, label);
          g.plannedCount++;
          g.plannedMinutes += r.duration_ms / 60_000;
          if (aired) {
            g.airedCount++;
            g.airedMinutes += (r.aired_ms ?? r.duration_ms) / 60_000;
          } else {
            const outcome = r.outcome ?? 'no report';
            if (outcome === 'failed') g.failedCount++;
            else if (outcome === 'skipped') g.skippedCount++;
            else if (outcome === 'refused') g.refusedCount++;
            const why = `${outcome}${r.reason ? `: ${r.reason.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '…')}` : ''}`;
            g.reasons[why] = (g.reasons[why] ?? 0) + 1;
          }
          groups.set(key, g);
          const uw = `${key}|${r.unit_id}|${win.key}`;
          const u = unitWindow.get(uw) ?? {
            planned: 0,
            aired: 0,
            group: key,
            missed: { unitId: r.unit_id, unit: r.unit_name, window: win.label, startAt: win.startAt },
          };
          u.planned++;
          if (aired) u.aired++;
          unitWindow.set(uw, u);
        }
      }
      for (const u of unitWindow.values()) {
        if (u.aired > 0) continue;
        const g = groups.get(u.group)!;
        g.missedWindows.push(u.missed);
        if (!g.missedUnits.includes(u.missed.unit)) g.missedUnits.push(u.missed.unit);
      }
      const list = [...groups.values()].sort((a, b) => a.key.localeCompare(b.key));
      for (const g of list) {
        g.plannedMinutes = round1(g.plannedMinutes);
        g.airedMinutes = round1(g.airedMinutes);
        g.missedUnits.sort((a, b) => a.localeCompare(b, 'vi'));
        g.missedWindows.sort((a, b) => a.startAt - b.startAt || a.unit.localeCompare(b.unit, 'vi'));
      }
      return { commune: { id: c.id, name: c.name, timeZone: c.time_zone }, from, to, groupBy, rows: list };
    },
  };
}
export type ReportsService = ReturnType<typeof reportsService>;

function emptyRow(key: string, label: string): ReportRow {
  return {
    key,
    label,
    plannedCount: 0,
    plannedMinutes: 0,
    airedCount: 0,
    airedMinutes: 0,
    failedCount: 0,
    skippedCount: 0,
    refusedCount: 0,
    reasons: {},
    missedUnits: [],
    missedWindows: [],
  };
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
