// Reads what the pure planner needs from the database (DESIGN §4: plans are derived data).
import { createHash } from 'node:crypto';
import type { MediaRef, PlannerBulletin, PlannerCommune, PlannerUnit, PlannerZone, WindowSpec } from '@loa/shared';
import type { Db } from '../db/database.js';
import { communesRepo } from './communes.repo.js';
import { bulletinsRepo, type BulletinRow } from './bulletins.repo.js';
import { PLANNED_STATES } from './bulletins.transitions.js';

export interface CommuneWorld {
  commune: PlannerCommune;
  /** Kept between reads while nothing of them changes: never to be modified (they are frozen). */
  zones: readonly PlannerZone[];
  units: readonly PlannerUnit[];
  bulletins: PlannerBulletin[];
  /**
   * Which state of the units and zones tables `zones` and `units` were read at: two worlds of a
   * commune with the same `structure` have the same zones and units (timeline.service.ts compares
   * it instead of 5,000 units).
   */
  structure: string;
}

/**
 * How long after approval a packed item may first start: time for the plan and its media to reach
 * every unit (a 10-minute bulletin reaches 2,000 units well inside this on a commune's links).
 */
export const MEDIA_LEAD_MS = 30_000;

export function toPlannerBulletin(row: BulletinRow, media: MediaRef, approvedAt: number): PlannerBulletin {
  return {
    id: row.id,
    communeId: row.commune_id,
    title: row.title,
    level: row.level,
    approvedAt,
    notBefore: approvedAt + MEDIA_LEAD_MS,
    validFrom: row.valid_from,
    validUntil: row.valid_until,
    targets: { commune: false, zoneIds: [], unitIds: [], ...(JSON.parse(row.targets) as object) },
    recurrence: JSON.parse(row.recurrence) as PlannerBulletin['recurrence'],
    repeat: { count: row.repeat_count, gapSeconds: row.repeat_gap_s },
    media,
    ...(row.relay_url ? { relay: { url: row.relay_url } } : {}),
    volume: row.volume,
  };
}

/**
 * The slot of a relay bulletin (issue #8) as the planner sees a media: its length, and a stand-in
 * hash of the URL (agents fetch nothing for it; they pull the stream at the instant).
 */
export function relayMediaRef(url: string, durationMs: number): MediaRef {
  return { sha256: createHash('sha256').update(`relay:${url}`).digest('hex'), bytes: 1, durationMs };
}

/**
 * A counter that TEMP triggers on this connection move whenever a unit is added, removed or moved
 * to another commune, or a zone or its members change: whatever code made the change, it is seen.
 * A commit by another process does not pass through these triggers; it moves `PRAGMA data_version`,
 * which is part of the answer. Issue #10: the 5,000 units of a province were read again on every
 * timeline request and re-plan (~4 ms of the loop each) for lists that change a few times a day.
 */
function structureVersion(db: Db): () => string {
  const bump = 'UPDATE temp.planner_structure SET n = n + 1;';
  db.exec(`
    CREATE TEMP TABLE IF NOT EXISTS planner_structure (n INTEGER NOT NULL);
    INSERT INTO temp.planner_structure SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM temp.planner_structure);
    CREATE TEMP TRIGGER IF NOT EXISTS planner_units_insert AFTER INSERT ON main.units BEGIN ${bump} END;
    CREATE TEMP TRIGGER IF NOT EXISTS planner_units_delete AFTER DELETE ON main.units BEGIN ${bump} END;
    CREATE TEMP TRIGGER IF NOT EXISTS planner_units_update AFTER UPDATE OF id, commune_id ON main.units
      BEGIN ${bump} END;
    CREATE TEMP TRIGGER IF NOT EXISTS planner_zones_insert AFTER INSERT ON main.zones BEGIN ${bump} END;
    CREATE TEMP TRIGGER IF NOT EXISTS planner_zones_delete AFTER DELETE ON main.zones BEGIN ${bump} END;
    CREATE TEMP TRIGGER IF NOT EXISTS planner_zones_update AFTER UPDATE ON main.zones BEGIN ${bump} END;
    CREATE TEMP TRIGGER IF NOT EXISTS planner_members_insert AFTER INSERT ON main.zone_units BEGIN ${bump} END;
    CREATE TEMP TRIGGER IF NOT EXISTS planner_members_delete AFTER DELETE ON main.zone_units BEGIN ${bump} END;
    CREATE TEMP TRIGGER IF NOT EXISTS planner_members_update AFTER UPDATE ON main.zone_units BEGIN ${bump} END;
  `);
  const counter = db.prepare('SELECT n FROM temp.planner_structure').pluck();
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  return () => `${dataVersion.get() as number}:${counter.get() as number}`;
}

export function plannerInputReader(db: Db) {
  const communes = communesRepo(db);
  const structure = structureVersion(db);
  /** Each commune's zones and units as last read, and the structure version they were read at. */
  const kept = new Map<string, { version: string; zones: readonly PlannerZone[]; units: readonly PlannerUnit[] }>();
  const bulletins = bulletinsRepo(db);
  const zones = db.prepare('SELECT id, commune_id, windows FROM zones WHERE commune_id = ?');
  const zoneUnits = db.prepare(
    'SELECT zu.zone_id, zu.unit_id FROM zone_units zu JOIN zones z ON z.id = zu.zone_id WHERE z.commune_id = ?',
  );
  const units = db.prepare('SELECT id, commune_id FROM units WHERE commune_id = ? ORDER BY id');
  const media = db.prepare('SELECT sha256, bytes, duration_ms FROM media WHERE sha256 = ?');

  function mediaRef(sha: string | null): MediaRef | undefined {
    if (!sha) return undefined;
    const m = media.get(sha) as { sha256: string; bytes: number; duration_ms: number } | undefined;
    return m ? { sha256: m.sha256, bytes: m.bytes, durationMs: m.duration_ms } : undefined;
  }

  function world(communeId: string, now: number): CommuneWorld | undefined {
    const c = communes.get(communeId);
    if (!c) return undefined;
    const planned: PlannerBulletin[] = [];
    for (const row of bulletins.inStates(PLANNED_STATES, now)) {
      if (row.commune_id !== communeId) continue;
      const ref = bulletinMedia(row);
      if (ref) planned.push(toPlannerBulletin(row, ref, row.approved_at ?? row.created_at));
    }
    const version = structure();
    let held = kept.get(communeId);
    if (held?.version !== version) kept.set(communeId, (held = { version, ...zonesAndUnits(communeId) }));
    return {
      commune: { id: c.id, timeZone: c.timeZone, windows: c.windows },
      zones: held.zones,
      units: held.units,
      bulletins: planned,
      structure: version,
    };
  }

  function zonesAndUnits(communeId: string): { zones: readonly PlannerZone[]; units: readonly PlannerUnit[] } {
    const members = new Map<string, string[]>();
    for (const r of zoneUnits.all(communeId) as Array<{ zone_id: string; unit_id: string }>) {
      const list = members.get(r.zone_id) ?? [];
      list.push(r.unit_id);
      members.set(r.zone_id, list);
    }
    // Frozen: shared by every later read until they change, a planner that modified them would
    // throw rather than plan from a changed copy.
    const zoneRows = zones.all(communeId) as Array<{ id: string; commune_id: string; windows: string | null }>;
    const unitRows = units.all(communeId) as Array<{ id: string; commune_id: string }>;
    return {
      zones: Object.freeze(
        zoneRows.map((z) =>
          Object.freeze({
            id: z.id,
            communeId: z.commune_id,
            unitIds: Object.freeze(members.get(z.id) ?? []) as string[],
            windows: z.windows ? (JSON.parse(z.windows) as WindowSpec[]) : null,
          }),
        ),
      ),
      units: Object.freeze(unitRows.map((u) => Object.freeze({ id: u.id, communeId: u.commune_id }))),
    };
  }

  /** A bulletin's audio for the planner: its stored media, or its relay slot. */
  function bulletinMedia(row: BulletinRow): MediaRef | undefined {
    if (row.relay_url && row.relay_duration_ms) return relayMediaRef(row.relay_url, row.relay_duration_ms);
    return mediaRef(row.media_sha256);
  }

  return { world, mediaRef, bulletinMedia, communeIds: () => communes.list().map((c) => c.id) };
}
