// SQL of communes and zones.
import type { Db } from '../db/database.js';
import type { WindowSpec } from '@loa/shared';

export interface CommuneRow {
  id: string;
  name: string;
  timeZone: string;
  windows: WindowSpec[];
}

type RawCommune = { id: string; name: string; time_zone: string; windows: string };
const toCommune = (r: RawCommune): CommuneRow => ({
  id: r.id,
  name: r.name,
  timeZone: r.time_zone,
  windows: JSON.parse(r.windows) as WindowSpec[],
});

export function communesRepo(db: Db) {
  const all = db.prepare('SELECT id, name, time_zone, windows FROM communes ORDER BY id');
  const one = db.prepare('SELECT id, name, time_zone, windows FROM communes WHERE id = ?');
  const insert = db.prepare('INSERT INTO communes (id, name, time_zone, windows, created_at) VALUES (?, ?, ?, ?, ?)');
  const setWindows = db.prepare('UPDATE communes SET windows = ? WHERE id = ?');
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
    insert: (c: CommuneRow) => insert.run(c.id, c.name, c.timeZone, JSON.stringify(c.windows), Date.now()),
    setWindows: (id: string, windows: WindowSpec[]) => setWindows.run(JSON.stringify(windows), id),
  };
}
