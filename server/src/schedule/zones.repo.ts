// SQL of zones: named sets of units, optionally with their own windows.
import type { Db } from '../db/database.js';
import type { WindowSpec } from '@loa/shared';

export interface ZoneRow {
  id: string;
  communeId: string;
  name: string;
  windows: WindowSpec[] | null;
  unitIds: string[];
}

export interface ZonesRepo {
  list(communeId: string | null): ZoneRow[];
  get(id: string): ZoneRow | undefined;
  save(zone: ZoneRow, isNew: boolean): void;
  remove(id: string): void;
}

export function zonesRepo(db: Db): ZonesRepo {
  const list = db.prepare(
    'SELECT id, commune_id, name, windows FROM zones WHERE (? IS NULL OR commune_id = ?) ORDER BY name, id',
  );
  const one = db.prepare('SELECT id, commune_id, name, windows FROM zones WHERE id = ?');
  const members = db.prepare('SELECT unit_id FROM zone_units WHERE zone_id = ? ORDER BY unit_id');
  const insert = db.prepare('INSERT INTO zones (id, commune_id, name, windows) VALUES (?, ?, ?, ?)');
  const update = db.prepare('UPDATE zones SET name = ?, windows = ? WHERE id = ?');
  const clear = db.prepare('DELETE FROM zone_units WHERE zone_id = ?');
  const add = db.prepare('INSERT INTO zone_units (zone_id, unit_id) VALUES (?, ?)');
  const remove = db.prepare('DELETE FROM zones WHERE id = ?');
  type Raw = { id: string; commune_id: string; name: string; windows: string | null };
  const hydrate = (r: Raw): ZoneRow => ({
    id: r.id,
    communeId: r.commune_id,
    name: r.name,
    windows: r.windows ? (JSON.parse(r.windows) as WindowSpec[]) : null,
    unitIds: (members.all(r.id) as Array<{ unit_id: string }>).map((m) => m.unit_id),
  });
  return {
    list: (communeId: string | null) => (list.all(communeId, communeId) as Raw[]).map(hydrate),
    get: (id: string) => {
      const r = one.get(id) as Raw | undefined;
      return r ? hydrate(r) : undefined;
    },
    /** Writes a zone and its members in one transaction: all of it or nothing. */
    save: db.transaction((z: ZoneRow, isNew: boolean) => {
      const windows = z.windows ? JSON.stringify(z.windows) : null;
      if (isNew) insert.run(z.id, z.communeId, z.name, windows);
      else update.run(z.name, windows, z.id);
      clear.run(z.id);
      for (const unit of z.unitIds) add.run(z.id, unit);
    }),
    remove: (id: string) => {
      remove.run(id);
    },
  };
}
