// The planner's zones and units are kept between reads (issue #10) and read again exactly when
// something the planner uses of them changed, on this connection or by another process; a change
// it does not use (a unit's telemetry, its name) keeps them.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/database.js';
import type { Db } from '../db/database.js';
import { plannerInputReader } from './planner-input.js';

describe('the planner’s zones and units', () => {
  let file: string;
  let db: Db;
  let reader: ReturnType<typeof plannerInputReader>;
  const world = () => reader.world('xa', Date.now())!;
  const shape = () => {
    const w = world();
    return {
      units: w.units.map((u) => `${u.id}@${u.communeId}`),
      zones: w.zones.map((z) => `${z.id}:${[...z.unitIds].sort().join(',')}:${JSON.stringify(z.windows)}`),
    };
  };

  beforeEach(() => {
    file = join(mkdtempSync(join(tmpdir(), 'loa-planner-input-')), 'loa.db');
    db = openDatabase(file);
    const commune = db.prepare(
      "INSERT INTO communes (id, name, time_zone, windows, created_at) VALUES (?, ?, 'Asia/Ho_Chi_Minh', '[]', 0)",
    );
    commune.run('xa', 'Xã');
    commune.run('xa-khac', 'Xã khác');
    const unit = db.prepare(
      "INSERT INTO units (id, commune_id, name, secret_hash, created_at) VALUES (?, 'xa', ?, 'x', 0)",
    );
    for (const id of ['u-1', 'u-2', 'u-3']) unit.run(id, id);
    db.prepare("INSERT INTO zones (id, commune_id, name, windows) VALUES ('z-1', 'xa', 'Vùng 1', NULL)").run();
    db.prepare("INSERT INTO zone_units (zone_id, unit_id) VALUES ('z-1', 'u-1')").run();
    reader = plannerInputReader(db);
  });
  afterEach(() => db.close());

  it('are the same frozen lists while nothing they hold changes', () => {
    const a = world();
    db.prepare(
      "UPDATE units SET name = 'Tên mới', last_telemetry = '{}', online = 1, last_seen = 5 WHERE id = 'u-2'",
    ).run();
    db.prepare('UPDATE zones SET name = name WHERE 0').run();
    const b = world();
    expect(b.units).toBe(a.units);
    expect(b.zones).toBe(a.zones);
    expect(b.structure).toBe(a.structure);
    expect(Object.isFrozen(a.units) && Object.isFrozen(a.units[0]) && Object.isFrozen(a.zones[0]!.unitIds)).toBe(true);
    expect(() => (a.units as unknown as unknown[]).push({ id: 'x', communeId: 'xa' })).toThrow(TypeError);
  });

  it('are read again after every change the planner reads, whichever', () => {
    const steps: Array<[string, string]> = [
      [
        'a unit added',
        "INSERT INTO units (id, commune_id, name, secret_hash, created_at) VALUES ('u-4', 'xa', 'u-4', 'x', 0)",
      ],
      ['a unit moved to another commune', "UPDATE units SET commune_id = 'xa-khac' WHERE id = 'u-3'"],
      ['a unit deleted', "DELETE FROM units WHERE id = 'u-2'"],
      ['a zone added', "INSERT INTO zones (id, commune_id, name, windows) VALUES ('z-2', 'xa', 'Vùng 2', NULL)"],
      ['a member added', "INSERT INTO zone_units (zone_id, unit_id) VALUES ('z-2', 'u-4')"],
      [
        'a zone’s windows',
        `UPDATE zones SET windows = '[{"id":"sang","start":"05:30","end":"07:00"}]' WHERE id = 'z-1'`,
      ],
      ['a member removed', "DELETE FROM zone_units WHERE zone_id = 'z-1' AND unit_id = 'u-1'"],
      ['a zone deleted, its members with it', "DELETE FROM zones WHERE id = 'z-2'"],
    ];
    let before = world();
    for (const [what, sql] of steps) {
      db.prepare(sql).run();
      const after = world();
      expect(after.structure, what).not.toBe(before.structure);
      before = after;
    }
    expect(shape()).toEqual({
      units: ['u-1@xa', 'u-4@xa'],
      zones: ['z-1::[{"id":"sang","start":"05:30","end":"07:00"}]'],
    });
  });

  it('are read again after another process wrote, which no trigger of this connection sees', () => {
    const before = world();
    const other = new Database(file);
    other.prepare("INSERT INTO zone_units (zone_id, unit_id) VALUES ('z-1', 'u-3')").run();
    other.close();
    const after = world();
    expect(after.structure).not.toBe(before.structure);
    expect(shape().zones).toEqual(['z-1:u-1,u-3:null']);
  });

  it('forget a change rolled back', () => {
    const before = world();
    expect(() =>
      db.transaction(() => {
        db.prepare("DELETE FROM zone_units WHERE zone_id = 'z-1'").run();
        throw new Error('given up');
      })(),
    ).toThrow('given up');
    expect(world().structure).toBe(before.structure);
    expect(shape().zones).toEqual(['z-1:u-1:null']);
  });
});
