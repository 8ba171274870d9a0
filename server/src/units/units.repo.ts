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

export type ListedUnitRow = UnitRow & { published_plan_version: number | null };

export function unitsRepo(db: Db) {
  const insert = db.prepare(
    'INSERT INTO units (id, commune_id, village_id, name, secret_hash, created_at) VALUES (@id, @communeId, @villageId, @name, @secretHash, @createdAt)',
  );
  const byId = db.prepare(`SELECT ${COLUMNS} FROM units WHERE id = ?`);
  const all = db.prepare(`SELECT ${COLUMNS} FROM units ORDER BY id`);
  const communeOf = db.prepare('SELECT commune_id FROM units WHERE id = ?');
  // One query for a page of the list, with each unit's published plan version (issue #10), read
  // from the index (migration 17): SQLite would otherwise read each unit's whole plan row.
  const page = db.prepare(
    `SELECT ${COLUMNS.split(', ')
      .map((c) => `u.${c}`)
      .join(', ')}, p.version AS published_plan_version
     FROM units u LEFT JOIN plans p INDEXED BY plans_unit_version ON p.unit_id = u.id
     WHERE u.id > ? ORDER BY u.id LIMIT ?`,
  );
  const setStatus = db.prepare(
    `UPDATE units SET online = @online, status_since = @since, last_seen = @now,
       agent_version = COALESCE(@agentVersion, agent_version),
       reported_plan_version = COALESCE(@planVersion, reported_plan_version)
     WHERE id = @id`,
  );
  const update = db.prepare('UPDATE units SET name = ?, village_id = ? WHERE id = ?');
  const setTelemetry = db.prepare('UPDATE units SET last_seen = ?, last_telemetry = ? WHERE id = ?');
  const setTelemetryMany = db.transaction((samples: Iterable<[id: string, now: number, sample: string]>) => {
    for (const [id, now, sample] of samples) setTelemetry.run(now, sample, id);
  });
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
    /** The unit's commune, or undefined when there is no such unit. */
    communeOf: (id: string) => (communeOf.get(id) as { commune_id: string } | undefined)?.commune_id,
    /** Up to `limit` units whose id sorts after `after`, in id order. */
    listPage: (after: string, limit: number) => page.all(after, limit) as ListedUnitRow[],
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
    /** The latest sample of many units, in one transaction. */
    setTelemetryMany(samples: Iterable<[id: string, now: number, sample: string]>) {
      setTelemetryMany(samples);
    },
  };
}
