// The alerts store and the clock rules of issue 7, against the real server and its broker: a unit
// (a plain MQTT client here) probes the server's clock and reports its offset in telemetry.
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '@loa/shared';
import { startServer, type TestServer } from '../testing/start-server.js';
import { waitFor } from '../testing/wait.js';
import type { HubEvents } from '../hub.js';
import { alertsService } from './alerts.service.js';

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

  it('knows the alerts raised before it started (a restart), and clears them', () => {
    const { alerts: store } = server.app.services;
    const raised = store.raise(UNIT, 'temperature', 'Hot.');
    store.raise(null, 'disk', 'Server disk low.');
    // A new store on the same database, as after a restart: it remembers which alerts are raised.
    const restarted = alertsService(server.app.db, server.app.hub);
    expect(restarted.open(UNIT, 'temperature')).toMatchObject({ id: raised.id, state: 'raised' });
    expect(restarted.open(UNIT, 'offline')).toBeUndefined();
    expect(restarted.clear(UNIT, 'temperature')).toMatchObject({ id: raised.id, state: 'cleared' });
    expect(restarted.clear(null, 'disk')).toMatchObject({ state: 'cleared' });
    expect(restarted.clear(UNIT, 'temperature')).toBeUndefined();
    expect(restarted.raise(UNIT, 'temperature', 'Hot again.').id).not.toBe(raised.id);
    restarted.clear(UNIT, 'temperature');
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

  it('follows the commune’s clock threshold', async () => {
    const settings = '/api/communes/default/alert-settings';
    expect((await server.admin.get(settings)).body).toMatchObject({ clockOffsetS: 2, diskFreePercent: 10 });
    const base = { offlineMinutes: 15, offlineMinutesNearWindow: 2, temperatureC: 75, webhookUrl: null };
    for (const bad of [{ clockOffsetS: 0.1 }, { clockOffsetS: 'two' }, { diskFreePercent: 0 }, { diskFreePercent: 90 }])
      expect((await server.admin.put(settings, { ...base, ...bad })).status, JSON.stringify(bad)).toBe(400);
    expect((await server.admin.put(settings, { ...base, clockOffsetS: 5 })).status).toBe(200);
    const seen = () =>
      new Promise<void>((resolve) => {
        const off = server.app.hub.on('unit-telemetry', () => (off(), resolve()));
      });
    let judged = seen();
    await telemetry({ clockOffsetMs: 4200 });
    await judged;
    expect((await alerts()).some((a) => a.kind === 'clock-offset')).toBe(false);
    judged = seen();
    await telemetry({ clockOffsetMs: -6000 });
    await judged;
    expect((await alerts()).find((a) => a.kind === 'clock-offset')?.detail).toEqual({ clockOffsetS: -6 });
    await telemetry({ clockOffsetMs: 0 });
    await waitFor('cleared', async () => ((await alerts()).some((a) => a.kind === 'clock-offset') ? undefined : true));
    // A client that predates the field leaves it as stored.
    expect((await server.admin.put(settings, base)).body).toMatchObject({ clockOffsetS: 5, diskFreePercent: 10 });
    await server.admin.put(settings, { ...base, clockOffsetS: 2 });
  });

  it('raises low-disk under the commune’s share of the disk, whatever the agent’s own flag', async () => {
    const GB = 1024 ** 3;
    const lowDisk = async () => (await alerts()).find((a) => a.kind === 'low-disk');
    const judged = () =>
      new Promise<void>((resolve) => {
        const off = server.app.hub.on('unit-telemetry', () => (off(), resolve()));
      });
    // 200 MB of a 1 GB card is 19 % free: the agent's fixed 200 MB flag says low, the share does not.
    let seen = judged();
    await telemetry({ diskLow: true, diskFreeBytes: Math.round(0.2 * GB), diskTotalBytes: GB });
    await seen;
    expect(await lowDisk()).toBeUndefined();
    // 1.5 GB of a 32 GB card is under 10 %, though the agent thinks it has plenty.
    await telemetry({ diskLow: false, diskFreeBytes: Math.round(1.5 * GB), diskTotalBytes: 32 * GB });
    const a = await waitFor('low disk', lowDisk);
    expect(a.message).toMatch(/^The unit's disk is 4 % free \(1536 MB of 32768 MB; the alert is under 10 %\)/);
    expect(a.detail).toEqual({ freePercent: 4 });
    // Just back over 10 %: not yet (no flapping at the threshold); at 12 % it clears.
    seen = judged();
    await telemetry({ diskFreeBytes: Math.round(0.105 * 32 * GB), diskTotalBytes: 32 * GB });
    await seen;
    expect(await lowDisk()).toBeDefined();
    await telemetry({ diskFreeBytes: Math.round(0.12 * 32 * GB), diskTotalBytes: 32 * GB });
    await waitFor('cleared', async () => ((await lowDisk()) ? undefined : true));
    // The commune raises the bar to 25 %: 19 % free is now low.
    const settings = '/api/communes/default/alert-settings';
    const current = (await server.admin.get<Record<string, unknown>>(settings)).body;
    expect((await server.admin.put(settings, { ...current, diskFreePercent: 25 })).status).toBe(200);
    await telemetry({ diskFreeBytes: Math.round(0.2 * GB), diskTotalBytes: GB });
    await waitFor('low at 25 %', lowDisk);
    await server.admin.put(settings, { ...current, diskFreePercent: 10 });
    await telemetry({ diskFreeBytes: Math.round(0.5 * GB), diskTotalBytes: GB });
    await waitFor('cleared', async () => ((await lowDisk()) ? undefined : true));
  });

  it('raises low-disk on the agent’s flag when its telemetry carries no disk size (an older agent)', async () => {
    await telemetry({ diskLow: true, diskFreeBytes: 10_000_000 });
    await waitFor('low disk', async () => (await alerts()).find((a) => a.kind === 'low-disk'));
    await telemetry({ diskLow: false, diskFreeBytes: 900_000_000 });
    await waitFor('cleared', async () => ((await alerts()).some((a) => a.kind === 'low-disk') ? undefined : true));
  });
});
