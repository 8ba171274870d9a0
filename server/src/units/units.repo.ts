// SQL of units, and nothing else.
import type { Db } from '../db/database.js';

export interface UnitRow {
  id: string;
  commune_id: string;
  village_id: string | null;
  name: string;
  created_at: number;
  online: number;
  status_since: number | null;
  last_seen: number | null;
  agent_version: string | null;
  reported_plan_version: number | null;
  events_acked: number;
  last_telemetry: string | null;
  secret_rotated_at: number | null;
  revoked_at: number | null;
}

const COLUMNS =
  'id, commune_id, village_id, name, created_at, online, status_since, last_seen, agent_version, reported_plan_version, events_acked, last_telemetry, secret_rotated_at, revoked_at';

export function unitsRepo(db: Db) {
  const insert = db.prepare(
    'INSERT INTO units (id, commune_id, village_id, name, secret_hash, created_at) VALUES (@id, @communeId, @villageId, @name, @secretHash, @createdAt)',
  );
  const byId = db.prepare(`SELECT ${COLUMNS} FROM units WHERE id = ?`);
  const all = db.prepare(`SELECT ${COLUMNS} FROM units ORDER BY id`);
  const setStatus = db.prepare(
    `UPDATE units SET online = @online, status_since = @since, last_seen = @now,
       agent_version = COALESCE(@agentVersion, agent_version),
       reported_plan_version = COALESCE(@planVersion, reported_plan_version)
     WHERE id = @id`,
  );
  const update = db.prepare('UPDATE units SET name = ?, village_id = ? WHERE id = ?');
  const setTelemetry = db.prepare('UPDATE units SET last_seen = ?, last_telemetry = ? WHERE id = ?');
  return {
    insert(u: {
      id: string;
      communeId: string;
      villageId: string | null;
      name: string;
      secretHash: string;
      createdAt: number;
    }) {
      insert.run(u);
    },
    get: (id: string) => byId.get(id) as UnitRow | undefined,
    list: () => all.all() as UnitRow[],
    setStatus(s: {
      id: string;
      online: boolean;
      since: number;
      now: number;
      agentVersion: string | null;
      planVersion: number | null;
    }) {
      setStatus.run({ ...s, online: s.online ? 1 : 0 });
    },
    update: (id: string, name: string, villageId: string | null) => update.run(name, villageId, id),
    setTelemetry(id: string, now: number, sample: string) {
      setTelemetry.run(now, sample, id);
    },
  };
}
