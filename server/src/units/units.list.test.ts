// GET /api/units for a province (issue #10): the list is kept row by row as JSON, written without
// the response schema's serializer, and must say exactly what each unit's own view says; the latest
// telemetry of every unit is stored once a second in one transaction.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '@loa/shared';
import { startServer, type TestServer } from '../testing/start-server.js';
import { openDatabase } from '../db/database.js';
import { unitsList } from './units.list.js';
import { waitFor } from '../testing/wait.js';

interface View {
  id: string;
  communeId: string;
  publishedPlanVersion: number | null;
  telemetry: Record<string, unknown> | null;
  lastSeen: number | null;
  name: string;
  villageId: string | null;
  online: boolean;
  agentVersion: string | null;
  revokedAt: number | null;
  secretRotatedAt: number | null;
}

let server: TestServer;
let board: MqttClient;
const IDS = ['cum-a', 'cum-b', 'cum-c', 'cum-d', 'cum-e'];

beforeAll(async () => {
  server = await startServer();
  let secret = '';
  for (const id of IDS)
    secret = (await server.admin.post<{ secret: string }>('/api/units', { id, name: `Cụm ${id}` })).body.secret;
  await server.app.services.plans.idle();
  await server.app.services.plans.replanAll();
  board = await mqtt.connectAsync(server.mqttUrl, {
    clientId: 'loa-unit-cum-e',
    username: 'cum-e',
    password: secret,
    reconnectPeriod: 0,
  });
});
afterAll(async () => {
  await board?.endAsync(true);
  await server?.close();
});

const listed = async () => (await server.admin.get<{ units: View[] }>('/api/units')).body.units;
const own = async (id: string) => (await server.admin.get<View>(`/api/units/${id}`)).body;
const sample = (volume: number) => ({ at: Date.now(), uptimeS: 60, volume, linkType: 'cellular', cpuTempC: 51.5 });

describe('GET /api/units', () => {
  it('lists every unit as its own view says, telemetry and published plan included', async () => {
    await board.publishAsync(topics.telemetry('cum-e'), JSON.stringify(sample(40)), { qos: 0 });
    await waitFor('the sample stored', async () => ((await own('cum-e')).telemetry?.volume === 40 ? true : undefined));
    const units = await listed();
    expect(units.map((u) => u.id)).toEqual(IDS);
    for (const u of units) expect(u).toEqual(await own(u.id));
    expect(units.every((u) => typeof u.publishedPlanVersion === 'number')).toBe(true);
    expect(units.find((u) => u.id === 'cum-e')!.telemetry).toMatchObject({ volume: 40, linkType: 'cellular' });
  });

  it('leaves out the units of communes the reader may not see', async () => {
    const read = async (visible: (communeId: string) => boolean) =>
      (JSON.parse((await server.app.services.units.listJson(visible)).toString()) as { units: View[] }).units;
    const all = await listed();
    expect(await read(() => true)).toEqual(all);
    expect(await read(() => false)).toEqual([]);
    const commune = all[0]!.communeId;
    expect(await read((c) => c === commune)).toEqual(all.filter((u) => u.communeId === commune));
  });
});

describe('telemetry of units', () => {
  it('keeps the latest sample of a burst, and the last time it was seen', async () => {
    const before = Date.now();
    for (const volume of [10, 20, 30])
      await board.publishAsync(topics.telemetry('cum-e'), JSON.stringify(sample(volume)), { qos: 0 });
    const u = await waitFor('the last sample stored', async () => {
      const u = await own('cum-e');
      return u.telemetry?.volume === 30 ? u : undefined;
    });
    expect(u.lastSeen).toBeGreaterThanOrEqual(before);
  });

  it('drops a sample that fails the schema, and one for a unit the server does not know', async () => {
    const heard: string[] = [];
    const off = server.app.hub.on('unit-telemetry', (t) => heard.push(t.unitId));
    await board.publishAsync(topics.telemetry('cum-e'), JSON.stringify({ at: Date.now(), uptimeS: -1, volume: 99 }), {
      qos: 0,
    });
    await server.app.bus.publish(topics.telemetry('cum-ma'), JSON.stringify(sample(99)), { qos: 1 });
    // A good sample after both: once it is stored, the two before it have been handled.
    await board.publishAsync(topics.telemetry('cum-e'), JSON.stringify(sample(55)), { qos: 0 });
    await waitFor('the good sample stored', async () =>
      (await own('cum-e')).telemetry?.volume === 55 ? true : undefined,
    );
    off();
    expect(heard).toEqual(['cum-e']);
    expect((await listed()).map((u) => u.id)).toEqual(IDS);
  });
});

// The list keeps each unit's JSON until SQLite marks its row changed (units.list.ts): whatever
// path writes a unit or its plan, the next list must say what the unit's own view says.
describe('GET /api/units after each kind of change', () => {
  const agrees = async () => {
    const units = await listed();
    for (const u of units) expect(u).toEqual(await own(u.id));
    return units;
  };

  it('shows a rename, a village, a revoked and a rotated unit, and a new one', async () => {
    await agrees(); // the list is kept from here
    const commune = (await own('cum-a')).communeId;
    const village = (
      await server.admin.post<{ id: string }>(`/api/communes/${commune}/villages`, { name: 'Thôn Tà Chơ' })
    ).body;
    await server.admin.patch('/api/units/cum-a', { name: 'Cụm đầu làng', villageId: village.id });
    await server.admin.post('/api/units/cum-d/revoke');
    await server.admin.post('/api/units/cum-c/secret');
    await server.admin.post('/api/units', { id: 'cum-0', name: 'Cụm mới' });
    const units = await agrees();
    expect(units.map((u) => u.id)).toEqual(['cum-0', ...IDS]);
    expect(units.find((u) => u.id === 'cum-a')!).toMatchObject({ name: 'Cụm đầu làng', villageId: village.id });
    expect(units.find((u) => u.id === 'cum-d')!.revokedAt).toEqual(expect.any(Number));
    expect(units.find((u) => u.id === 'cum-c')!.secretRotatedAt).toEqual(expect.any(Number));
  });

  it('shows a unit going online and offline, and a plan published to it', async () => {
    await agrees();
    const { secret } = (await server.admin.post<{ secret: string }>('/api/units/cum-b/secret')).body;
    const b = await mqtt.connectAsync(server.mqttUrl, {
      clientId: 'loa-unit-cum-b',
      username: 'cum-b',
      password: secret,
      reconnectPeriod: 0,
      will: { topic: topics.status('cum-b'), payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
    });
    await b.publishAsync(topics.status('cum-b'), JSON.stringify({ online: true, agentVersion: '9.9.9' }), {
      qos: 1,
      retain: true,
    });
    await waitFor('cum-b online', async () => ((await own('cum-b')).online ? true : undefined));
    expect((await agrees()).find((u) => u.id === 'cum-b')!).toMatchObject({ online: true, agentVersion: '9.9.9' });
    b.stream.destroy(); // its will says offline
    await waitFor('cum-b offline', async () => ((await own('cum-b')).online ? undefined : true));
    expect((await agrees()).find((u) => u.id === 'cum-b')!.online).toBe(false);
  });

  it('shows the plans a moved window republished to every unit', async () => {
    // Every unit holds a plan first (the one created above is planned shortly after).
    await server.app.services.plans.idle();
    await server.app.services.plans.replanAll();
    const before = await agrees();
    const commune = before[0]!.communeId;
    const windows = [{ id: 'sang', start: '05:15', end: '07:00' }];
    expect((await server.admin.put(`/api/communes/${commune}/windows`, { windows })).status).toBe(200);
    await server.app.services.plans.idle();
    await server.app.services.plans.replanAll();
    const after = await agrees();
    for (const u of after) {
      const was = before.find((b) => b.id === u.id)!.publishedPlanVersion!;
      expect(u.publishedPlanVersion).toBeGreaterThan(was);
    }
    // Any write marks the unit, whatever code made it.
    server.app.db.prepare('UPDATE plans SET version = version + 1 WHERE unit_id = ?').run('cum-a');
    const a = (await agrees()).find((u) => u.id === 'cum-a')!;
    expect(a.publishedPlanVersion).toBe(after.find((u) => u.id === 'cum-a')!.publishedPlanVersion! + 1);
  });

  it('shows what another process wrote to the database file', async () => {
    await agrees();
    const other = new Database(join(server.dataDir, 'loa.db'));
    try {
      other.prepare('UPDATE units SET name = ? WHERE id = ?').run('Tên do một tiến trình khác đặt', 'cum-e');
    } finally {
      other.close();
    }
    const units = await agrees();
    expect(units.find((u) => u.id === 'cum-e')!.name).toBe('Tên do một tiến trình khác đặt');
  });
});

// The changes are read a slice at a time (units.list.ts); on its own database, as a second list on
// the server's connection would take the changes its list is owed.
describe('the units list read in slices of changes', () => {
  it('keeps every change, whoever of two readers at once read its slice', async () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'loa-list-')), 'loa.db'));
    const commune = (
      db
        .prepare(
          "INSERT INTO communes (id, name, time_zone, windows, created_at) VALUES (?, ?, ?, '[]', 0) RETURNING id",
        )
        .get('xa', 'Xã', 'Asia/Ho_Chi_Minh') as { id: string }
    ).id;
    const insert = db.prepare(
      'INSERT INTO units (id, commune_id, name, secret_hash, created_at) VALUES (?, ?, ?, ?, 0)',
    );
    const ids = Array.from({ length: 9 }, (_, i) => `u-${i}`);
    for (const id of ids) insert.run(id, commune, id, 'x');
    const list = unitsList(db, (row) => JSON.stringify({ id: row.id, name: row.name }), { slice: 2 });
    const read = async () =>
      (JSON.parse((await list.json(() => true)).toString()) as { units: Array<{ id: string; name: string }> }).units;
    expect((await read()).map((u) => u.name)).toEqual(ids);

    const rename = db.prepare('UPDATE units SET name = ? WHERE id = ?');
    for (const id of ids) rename.run(`${id} mới`, id);
    insert.run('u-new', commune, 'u-new', 'x');
    const [a, b] = await Promise.all([read(), read()]);
    const want = [...ids.map((id) => `${id} mới`), 'u-new'];
    expect(a.map((u) => u.name)).toEqual(want);
    expect(b.map((u) => u.name)).toEqual(want);
    list.stop();
    db.close();
  });

  it('takes the changes in between reads while it is read, and stops when nobody reads it', async () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'loa-list-')), 'loa.db'));
    db.prepare(
      "INSERT INTO communes (id, name, time_zone, windows, created_at) VALUES ('xa', 'Xã', 'UTC', '[]', 0)",
    ).run();
    const insert = db.prepare(
      "INSERT INTO units (id, commune_id, name, secret_hash, created_at) VALUES (?, 'xa', ?, 'x', 0)",
    );
    const ids = Array.from({ length: 9 }, (_, i) => `u-${i}`);
    for (const id of ids) insert.run(id, id);
    const list = unitsList(db, (row) => JSON.stringify({ id: row.id, name: row.name }), {
      slice: 4,
      keepFreshMs: 20,
      watchedForMs: 300,
    });
    const names = async () =>
      (JSON.parse((await list.json(() => true)).toString()) as { units: Array<{ name: string }> }).units.map(
        (u) => u.name,
      );
    expect(await names()).toEqual(ids);
    const rename = db.prepare('UPDATE units SET name = ? WHERE id = ?');
    for (const id of ids) rename.run(`${id} mới`, id);
    expect(list.pending()).toBe(9);
    // Taken in a slice at a time by the timer, before anyone asks again.
    await waitFor('the changes taken in', () => (list.pending() === 0 ? true : undefined), 2000);
    expect(await names()).toEqual(ids.map((id) => `${id} mới`));

    // Nobody reads it for longer than watchedForMs: changes wait for the next read.
    await new Promise((r) => setTimeout(r, 450));
    for (const id of ids) rename.run(`${id} lại`, id);
    await new Promise((r) => setTimeout(r, 150));
    expect(list.pending()).toBe(9);
    expect(await names()).toEqual(ids.map((id) => `${id} lại`));

    // Read again, then the database closes under it: the timer stops rather than throw.
    insert.run('u-9', 'u-9');
    db.close();
    await new Promise((r) => setTimeout(r, 100));
  });
});
