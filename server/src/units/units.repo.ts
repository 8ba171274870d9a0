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

// The list with each unit's published plan version (issue #10), read from the index
// (migration 17): SQLite would otherwise read each unit's whole plan row.
const listedColumns = `${COLUMNS.split(', ')
  .map((c) => `u.${c}`)
  .join(', ')}, p.version AS published_plan_version`;

export function unitsRepo(db: Db) {
  const insert = db.prepare(
    'INSERT INTO units (id, commune_id, village_id, name, secret_hash, created_at) VALUES (@id, @communeId, @villageId, @name, @secretHash, @createdAt)',
  );
  const byId = db.prepare(`SELECT ${COLUMNS} FROM units WHERE id = ?`);
  const all = db.prepare(`SELECT ${COLUMNS} FROM units ORDER BY id`);
  const communeOf = db.prepare('SELECT commune_id FROM units WHERE id = ?');
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

/**
 * The units list's reads (units.list.ts): the whole list, and what changed in it since it was
 * last read. Made once per server: reading the changes forgets them.
 */
export function unitsListRepo(db: Db) {
  const listed = db.prepare(
    `SELECT ${listedColumns}
     FROM units u LEFT JOIN plans p INDEXED BY plans_unit_version ON p.unit_id = u.id ORDER BY u.id`,
  );
  // What changed in the list since it was last read (units.list.ts). The triggers are TEMP: they
  // live on this connection only, which is the server's one connection, so every write path is
  // seen whatever code made it (a write by another process is caught by `data_version`). Only the
  // columns the list shows mark a unit: the events' counter, written on every event, does not.
  // A trigger's own OR IGNORE gives way to the statement that fired it (an upsert's conflict
  // rule is ABORT), so a unit already marked is skipped by NOT EXISTS, not by a conflict.
  const mark = (id: string) =>
    `INSERT INTO units_list_changed SELECT ${id} WHERE NOT EXISTS (SELECT 1 FROM units_list_changed WHERE id = ${id});`;
  db.exec(`
    CREATE TEMP TABLE IF NOT EXISTS units_list_changed (id TEXT PRIMARY KEY) WITHOUT ROWID;
    CREATE TEMP TRIGGER IF NOT EXISTS units_list_insert AFTER INSERT ON main.units
      BEGIN ${mark('new.id')} END;
    CREATE TEMP TRIGGER IF NOT EXISTS units_list_update AFTER UPDATE OF
      id, commune_id, village_id, name, online, status_since, last_seen, agent_version,
      reported_plan_version, last_telemetry, secret_rotated_at, revoked_at ON main.units
      BEGIN ${mark('old.id')} ${mark('new.id')} END;
    CREATE TEMP TRIGGER IF NOT EXISTS units_list_delete AFTER DELETE ON main.units
      BEGIN ${mark('old.id')} END;
    CREATE TEMP TRIGGER IF NOT EXISTS units_list_plan_insert AFTER INSERT ON main.plans
      BEGIN ${mark('new.unit_id')} END;
    CREATE TEMP TRIGGER IF NOT EXISTS units_list_plan_update AFTER UPDATE OF unit_id, version ON main.plans
      BEGIN ${mark('old.unit_id')} ${mark('new.unit_id')} END;
    CREATE TEMP TRIGGER IF NOT EXISTS units_list_plan_delete AFTER DELETE ON main.plans
      BEGIN ${mark('old.unit_id')} END;
  `);
  const changedIds = db.prepare('SELECT id FROM temp.units_list_changed LIMIT ?').pluck();
  const rowsOf = db.prepare(
    `SELECT ${listedColumns}
     FROM units u LEFT JOIN plans p INDEXED BY plans_unit_version ON p.unit_id = u.id
     WHERE u.id IN (SELECT value FROM json_each(?))`,
  );
  const forget = db.prepare('DELETE FROM temp.units_list_changed WHERE id IN (SELECT value FROM json_each(?))');
  const forgetChanges = db.prepare('DELETE FROM temp.units_list_changed');
  const pending = db.prepare('SELECT count(*) FROM temp.units_list_changed').pluck();
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  return {
    /** Every unit with its published plan version, in id order; the changes marked so far are forgotten. */
    listed(): ListedUnitRow[] {
      const rows = listed.all() as ListedUnitRow[];
      forgetChanges.run();
      return rows;
    },
    /**
     * Up to `limit` of the units whose listed columns (or published plan) changed since the last
     * `listed` or since `changes` returned them: the ids (a deleted unit's among them) and the rows
     * that still exist. Those returned are forgotten.
     */
    changes(limit: number): { ids: string[]; rows: ListedUnitRow[] } {
      const ids = changedIds.all(limit) as string[];
      if (ids.length === 0) return { ids, rows: [] };
      const list = JSON.stringify(ids);
      const rows = rowsOf.all(list) as ListedUnitRow[];
      forget.run(list);
      return { ids, rows };
    },
    /** How many units are marked changed and not yet read back. */
    pending: () => pending.get() as number,
    /** Changes whenever another connection (another process) commits to the database. */
    dataVersion: () => dataVersion.get() as number,
  };
}
