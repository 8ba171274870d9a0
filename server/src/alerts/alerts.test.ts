// The alerts store and the clock rules of issue 7, against the real server and its broker: a unit
// (a plain MQTT client here) probes the server's clock and reports its offset in telemetry.
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '@loa/shared';
import { startServer, type TestServer } from '../testing/start-server.js';
import { waitFor } from '../testing/wait.js';
import type { HubEvents } from '../hub.js';

let server: TestServer;
let unit: MqttClient;
const UNIT = 'thon-dong-ho';
const announced: HubEvents['alert'][] = [];

interface Alert {
  id: number;
  unitId: string | null;
  kind: string;
  state: string;
  message: string;
  clearedAt: number | null;
  detail: Record<string, unknown> | null;
}
const alerts = async (query = '') => (await server.admin.get<{ alerts: Alert[] }>(`/api/alerts${query}`)).body.alerts;
const telemetry = (sample: Record<string, unknown>) =>
  unit.publishAsync(topics.telemetry(UNIT), JSON.stringify({ at: Date.now(), uptimeS: 1, ...sample }), { qos: 0 });

beforeAll(async () => {
  server = await startServer();
  const res = await server.admin.post<{ secret: string }>('/api/units', { id: UNIT, name: 'Thôn Đồng Hồ' });
  unit = await mqtt.connectAsync(server.mqttUrl, {
    clientId: `loa-unit-${UNIT}`,
    username: UNIT,
    password: res.body.secret,
    reconnectPeriod: 0,
  });
  server.app.hub.on('alert', (a) => announced.push(a));
});
afterAll(async () => {
  await unit?.endAsync(true);
  await server?.close();
});

describe('the alerts store', () => {
  it('raises one alert per unit and kind, updates it, clears it, and announces each change', () => {
    const { alerts: store } = server.app.services;
    const first = store.raise(UNIT, 'amplifier', 'The amplifier does not answer.', { tries: 1 });
    const same = store.raise(UNIT, 'amplifier', 'The amplifier does not answer.', { tries: 1 });
    const updated = store.raise(UNIT, 'amplifier', 'The amplifier still does not answer.', { tries: 2 });
    expect(same.id).toBe(first.id);
    expect(updated).toMatchObject({ id: first.id, state: 'raised', detail: { tries: 2 } });
    const cleared = store.clear(UNIT, 'amplifier');
    expect(cleared).toMatchObject({ id: first.id, state: 'cleared' });
    expect(store.clear(UNIT, 'amplifier')).toBeUndefined();
    expect(announced.filter((a) => a.kind === 'amplifier').map((a) => a.state)).toEqual([
      'raised',
      'raised',
      'cleared',
    ]);
    // Raised again later: a new alert, the old one kept as history.
    expect(store.raise(UNIT, 'amplifier', 'Again.').id).not.toBe(first.id);
    store.clear(UNIT, 'amplifier');
  });

  it('lists raised alerts by default, all with ?state=all, for one unit with ?unitId=', async () => {
    const { alerts: store } = server.app.services;
    store.raise(null, 'broker', 'The broker restarted.');
    store.raise(UNIT, 'offline', 'Offline for 2 hours.');
    expect((await alerts()).map((a) => a.kind).sort()).toEqual(['broker', 'offline']);
    expect((await alerts(`?state=all&unitId=${UNIT}`)).filter((a) => a.kind === 'amplifier')).toHaveLength(2);
    const bad = await server.admin.get<{ error: string }>('/api/alerts?state=sometimes');
    expect(bad.status).toBe(400);
    store.clear(null, 'broker');
    store.clear(UNIT, 'offline');
  });
});

describe('the clock of a unit', () => {
  it('is answered NTP-style on time/reply', async () => {
    await unit.subscribeAsync(topics.timeReply(UNIT), { qos: 0 });
    const reply = new Promise<{ t0: number; t1: number; t2: number }>((resolve) =>
      unit.once('message', (_t, p) => resolve(JSON.parse(p.toString()) as { t0: number; t1: number; t2: number })),
    );
    const t0 = Date.now();
    await unit.publishAsync(topics.time(UNIT), JSON.stringify({ t0 }), { qos: 0 });
    const r = await reply;
    const t3 = Date.now();
    expect(r.t0).toBe(t0);
    expect(r.t1).toBeGreaterThanOrEqual(t0);
    expect(r.t2).toBeGreaterThanOrEqual(r.t1);
    expect(r.t2).toBeLessThanOrEqual(t3);
  });

  it('raises clock-offset over 2 s, keeps one alert while it stays off, and clears it once back under', async () => {
    await telemetry({ clockOffsetMs: 1500 });
    await new Promise((r) => setTimeout(r, 200));
    expect((await alerts()).filter((a) => a.kind === 'clock-offset')).toEqual([]);
    await telemetry({ clockOffsetMs: -3600_004 });
    const raised = await waitFor('the clock alert', async () =>
      (await alerts()).find((a) => a.kind === 'clock-offset'),
    );
    expect(raised).toMatchObject({
      unitId: UNIT,
      message:
        "The unit's clock is about 3600 s ahead of the server's. It plays in server time meanwhile; check its time source (NTP, RTC battery).",
      detail: { clockOffsetS: -3600 },
    });
    await telemetry({ clockOffsetMs: -3600_020 });
    await new Promise((r) => setTimeout(r, 200));
    expect(announced.filter((a) => a.kind === 'clock-offset')).toHaveLength(1);
    await telemetry({ clockOffsetMs: 12 });
    await waitFor('cleared', async () => ((await alerts()).some((a) => a.kind === 'clock-offset') ? undefined : true));
    const history = (await alerts(`?state=all&unitId=${UNIT}`)).find((a) => a.kind === 'clock-offset');
    expect(history).toMatchObject({ state: 'cleared' });
  });

  it('raises low-disk from the unit’s telemetry and clears it when the disk recovers', async () => {
    await telemetry({ diskLow: true, diskFreeBytes: 10_000_000 });
    await waitFor('low disk', async () => (await alerts()).find((a) => a.kind === 'low-disk'));
    await telemetry({ diskLow: false, diskFreeBytes: 900_000_000 });
    await waitFor('cleared', async () => ((await alerts()).some((a) => a.kind === 'low-disk') ? undefined : true));
  });
});
