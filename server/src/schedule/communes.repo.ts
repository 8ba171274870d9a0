// SQL of communes and villages.
import type { Db } from '../db/database.js';
import type { WindowSpec } from '@loa/shared';

export interface QuietHours {
  start: string;
  end: string;
}

export interface CommuneRow {
  id: string;
  name: string;
  timeZone: string;
  windows: WindowSpec[];
  quietHours: QuietHours | null;
}

type RawCommune = { id: string; name: string; time_zone: string; windows: string; quiet_hours: string | null };
const toCommune = (r: RawCommune): CommuneRow => ({
  id: r.id,
  name: r.name,
  timeZone: r.time_zone,
  windows: JSON.parse(r.windows) as WindowSpec[],
  quietHours: r.quiet_hours ? (JSON.parse(r.quiet_hours) as QuietHours) : null,
});
const COLUMNS = 'id, name, time_zone, windows, quiet_hours';

export function communesRepo(db: Db) {
  const all = db.prepare(`SELECT ${COLUMNS} FROM communes ORDER BY id`);
  const one = db.prepare(`SELECT ${COLUMNS} FROM communes WHERE id = ?`);
  const insert = db.prepare(
    'INSERT INTO communes (id, name, time_zone, windows, quiet_hours, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const update = db.prepare('UPDATE communes SET name = ?, time_zone = ?, windows = ?, quiet_hours = ? WHERE id = ?');
  const villages = db.prepare(
    'SELECT id, commune_id AS communeId, name FROM villages WHERE commune_id = ? ORDER BY name',
  );
  const village = db.prepare('SELECT id, commune_id AS communeId, name FROM villages WHERE id = ?');
  const insertVillage = db.prepare('INSERT INTO villages (id, commune_id, name) VALUES (?, ?, ?)');
  return {
    list: () => (all.all() as RawCommune[]).map(toCommune),
    get: (id: string) => {
      const r = one.get(id) as RawCommune | undefined;
      return r ? toCommune(r) : undefined;
    },
    /** The commune when there is exactly one (a single-commune install needs no choice). */
    only: () => {
      const rows = all.all() as RawCommune[];
      return rows.length === 1 ? toCommune(rows[0]!) : undefined;
    },
    insert: (c: CommuneRow) =>
      insert.run(
        c.id,
        c.name,
        c.timeZone,
        JSON.stringify(c.windows),
        c.quietHours ? JSON.stringify(c.quietHours) : null,
        Date.now(),
      ),
    update: (c: CommuneRow) =>
      update.run(
        c.name,
        c.timeZone,
        JSON.stringify(c.windows),
        c.quietHours ? JSON.stringify(c.quietHours) : null,
        c.id,
      ),
    villages: (communeId: string) => villages.all(communeId) as Array<{ id: string; communeId: string; name: string }>,
    village: (id: string) => village.get(id) as { id: string; communeId: string; name: string } | undefined,
    insertVillage: (id: string, communeId: string, name: string) => insertVillage.run(id, communeId, name),
  };
}
