// SQL of emergency broadcasts, and nothing else.
import type { Db } from '../db/database.js';

export interface EmergencyRow {
  id: string;
  commune_id: string;
  title: string | null;
  sha256: string;
  duration_ms: number;
  targets: string;
  repeat: number;
  volume: number;
  created_at: number;
  valid_until: number;
  created_by: number | null;
  stopped_at?: number | null;
  stopped_by?: number | null;
}

export interface EmergencyUnitRow {
  unit_id: string;
  command_id: string;
  state: string;
  error: string | null;
  acked_at: number | null;
  expires_at: number;
}

export function emergencyRepo(db: Db) {
  const insert = db.prepare(
    `INSERT INTO emergencies (id, commune_id, title, sha256, duration_ms, targets, repeat, volume, created_at, valid_until, created_by)
     VALUES (@id, @commune_id, @title, @sha256, @duration_ms, @targets, @repeat, @volume, @created_at, @valid_until, @created_by)`,
  );
  const insertUnit = db.prepare('INSERT INTO emergency_units (emergency_id, unit_id, command_id) VALUES (?, ?, ?)');
  const byId = db.prepare('SELECT * FROM emergencies WHERE id = ?');
  const recent = db.prepare(
    `SELECT * FROM emergencies WHERE (@communes IS NULL OR commune_id IN (SELECT value FROM json_each(@communes)))
      ORDER BY created_at DESC LIMIT @limit`,
  );
  const unitsOf = db.prepare(
    `SELECT eu.unit_id, eu.command_id, c.state, c.error, c.acked_at, c.expires_at
       FROM emergency_units eu JOIN unit_commands c ON c.id = eu.command_id AND c.unit_id = eu.unit_id
      WHERE eu.emergency_id = ? ORDER BY eu.unit_id`,
  );
  const commune = db.prepare('SELECT id FROM units WHERE commune_id = ? AND revoked_at IS NULL ORDER BY id');
  const zone = db.prepare(
    `SELECT zu.unit_id AS id FROM zone_units zu JOIN zones z ON z.id = zu.zone_id JOIN units u ON u.id = zu.unit_id
      WHERE z.id = ? AND z.commune_id = ? AND u.revoked_at IS NULL`,
  );
  const zoneExists = db.prepare('SELECT 1 FROM zones WHERE id = ? AND commune_id = ?');
  const unit = db.prepare('SELECT id, commune_id, revoked_at FROM units WHERE id = ?');
  // Not sent again to a unit that comes back after the stop.
  const expirePending = db.prepare(
    `UPDATE unit_commands SET state = 'expired'
      WHERE state = 'pending' AND id IN (SELECT command_id FROM emergency_units WHERE emergency_id = ?)`,
  );
  const markStopped = db.prepare(
    'UPDATE emergencies SET stopped_at = ?, stopped_by = ? WHERE id = ? AND stopped_at IS NULL',
  );
  return {
    insert: (row: EmergencyRow, units: Array<{ unitId: string; commandId: string }>) =>
      db.transaction(() => {
        insert.run(row);
        for (const u of units) insertUnit.run(row.id, u.unitId, u.commandId);
      })(),
    get: (id: string) => byId.get(id) as EmergencyRow | undefined,
    stopped: (id: string, at: number, by: number | null) =>
      db.transaction(() => {
        expirePending.run(id);
        return markStopped.run(at, by, id).changes > 0;
      })(),
    list: (communeIds: string[] | null, limit: number) =>
      recent.all({ communes: communeIds ? JSON.stringify(communeIds) : null, limit }) as EmergencyRow[],
    units: (id: string) => unitsOf.all(id) as EmergencyUnitRow[],
    communeUnits: (communeId: string) => (commune.all(communeId) as Array<{ id: string }>).map((r) => r.id),
    zoneUnits: (zoneId: string, communeId: string) =>
      zoneExists.get(zoneId, communeId)
        ? (zone.all(zoneId, communeId) as Array<{ id: string }>).map((r) => r.id)
        : undefined,
    unit: (id: string) => unit.get(id) as { id: string; commune_id: string; revoked_at: number | null } | undefined,
  };
}
export type EmergencyRepo = ReturnType<typeof emergencyRepo>;
