// GET /api/units for a province (issue #10): the list is written slice by slice, without the
// response schema's serializer, and must say exactly what each unit's own view says; the latest
// telemetry of every unit is stored once a second in one transaction.
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '@loa/shared';
import { startServer, type TestServer } from '../testing/start-server.js';
import { waitFor } from '../testing/wait.js';

interface View {
  id: string;
  communeId: string;
  publishedPlanVersion: number | null;
  telemetry: Record<string, unknown> | null;
  lastSeen: number | null;
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

  it('reads the list in slices, and leaves out the units a slice does not let through', async () => {
    const read = async (slice: number, visible: (communeId: string) => boolean) => {
      let text = '';
      for await (const part of server.app.services.units.listJson(visible, slice)) text += part;
      return (JSON.parse(text) as { units: View[] }).units;
    };
    const all = await listed();
    for (const slice of [1, 2, 4, 5, 6]) expect(await read(slice, () => true)).toEqual(all);
    expect(await read(2, () => false)).toEqual([]);
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
