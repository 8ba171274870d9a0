// Alert rules through the real app and a real MQTT unit: offline (stricter near a window), failed
// playback, amplifier fault, temperature, under-voltage, and the webhook a province forwards.
import { createServer, type IncomingMessage } from 'node:http';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatClock, toZoned } from '@loa/shared';
import { startServer, type TestServer } from '../testing/start-server.js';
import { waitFor } from '../testing/wait.js';

type Alert = { kind: string; state: string; unitId: string; message: string };

describe('alert rules', () => {
  let server: TestServer;
  let unit: MqttClient;
  let seq = 0;
  const hooks: Array<Record<string, unknown>> = [];
  const hookServer = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      hooks.push(JSON.parse(body) as Record<string, unknown>);
      res.end('ok');
    });
  });

  const raised = async () => (await server.admin.get<{ alerts: Alert[] }>('/api/alerts?state=raised')).body.alerts;
  const event = (type: string, extra: object) =>
    unit.publishAsync(
      'loa/v1/units/cum-canh-bao/events',
      JSON.stringify({ events: [{ seq: ++seq, at: Date.now(), type, ...extra }] }),
      { qos: 1 },
    );
  const telemetry = (extra: object) =>
    unit.publishAsync(
      'loa/v1/units/cum-canh-bao/telemetry',
      JSON.stringify({ at: Date.now(), uptimeS: 10, ...extra }),
      { qos: 0 },
    );

  beforeAll(async () => {
    await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
    server = await startServer();
    const res = await server.admin.post<{ secret: string }>('/api/units', {
      id: 'cum-canh-bao',
      name: 'Cụm loa Khau Thán',
    });
    const port = (hookServer.address() as { port: number }).port;
    const put = await server.admin.put('/api/communes/default/alert-settings', {
      offlineMinutes: 30,
      offlineMinutesNearWindow: 1,
      temperatureC: 70,
      webhookUrl: `http://127.0.0.1:${port}/hook`,
    });
    expect(put.status).toBe(200);
    unit = await mqtt.connectAsync(server.mqttUrl, {
      clientId: 'loa-unit-cum-canh-bao',
      username: 'cum-canh-bao',
      password: res.body.secret,
      reconnectPeriod: 0,
      will: {
        topic: 'loa/v1/units/cum-canh-bao/status',
        payload: Buffer.from('{"online":false}'),
        qos: 1,
        retain: true,
      },
    });
    await unit.publishAsync('loa/v1/units/cum-canh-bao/status', JSON.stringify({ online: true, since: Date.now() }), {
      qos: 1,
      retain: true,
    });
  });
  afterAll(async () => {
    await unit?.endAsync(true);
    await server?.close();
    hookServer.close();
  });

  it('raises a failed playback and clears it when the next item finishes, telling the webhook both', async () => {
    await event('failed', { itemId: 'i1', reason: 'ALSA: device busy' });
    const a = await waitFor('playback-failed', async () => (await raised()).find((x) => x.kind === 'playback-failed'));
    expect(a.message).toMatch(/ALSA: device busy/);
    await event('finished', { itemId: 'i2', durationMs: 1000 });
    await waitFor('cleared', async () =>
      (await raised()).some((x) => x.kind === 'playback-failed') ? undefined : true,
    );
    await waitFor('two webhook calls', () =>
      hooks.filter((h) => h.kind === 'playback-failed').length >= 2 ? true : undefined,
    );
    expect(hooks.filter((h) => h.kind === 'playback-failed').map((h) => h.state)).toEqual(['raised', 'cleared']);
    expect(hooks[0]).toMatchObject({ unitId: 'cum-canh-bao', unitName: 'Cụm loa Khau Thán', communeId: 'default' });
  });

  /** Resolves once the server has judged everything the unit sent so far (rules listen first). */
  const judged = <K extends 'unit-event' | 'unit-telemetry'>(kind: K, count: number) => {
    let seen = 0;
    return new Promise<void>((resolve) => {
      const off = server.app.hub.on(kind, () => {
        if (++seen < count) return;
        off();
        resolve();
      });
    });
  };
  const isRaised = async (kind: string) => (await raised()).some((x) => x.kind === kind);

  it('raises an amplifier fault, and clears it only on telemetry after it showing the wanted state', async () => {
    const faultAt = Date.now();
    await event('fault', { at: faultAt, reason: 'amplifier relay gpiochip0:17 could not be set on: line busy' });
    const a = await waitFor('amplifier-fault', async () => (await raised()).find((x) => x.kind === 'amplifier-fault'));
    expect(a.message).toMatch(/relay wiring/);
    // A sample taken before the fault (late on the wire), the relay still off, an item that plays
    // into the dead amplifier: none of them is a good sign.
    let done = judged('unit-telemetry', 2);
    await telemetry({ at: faultAt - 1000, amplifierOn: true });
    await telemetry({ at: faultAt + 1000, amplifierOn: false });
    await done;
    const ev = judged('unit-event', 1);
    await event('finished', { itemId: 'i3', durationMs: 1000 });
    await ev;
    expect(await isRaised('amplifier-fault')).toBe(true);
    // The relay obeys again: switched on after the fault.
    done = judged('unit-telemetry', 1);
    await telemetry({ at: faultAt + 2000, amplifierOn: true });
    await done;
    expect(await isRaised('amplifier-fault')).toBe(false);
  });

  it('raises a failed relay source, and clears it when a relay stream answers again', async () => {
    const insert = server.app.db.prepare(
      `INSERT INTO bulletins (id, commune_id, title, level, state, targets, recurrence, valid_from, valid_until, created_at, updated_at, relay_url, relay_duration_ms)
       VALUES (?, 'default', ?, 'ordinary', 'approved', '{"unitIds":["cum-canh-bao"]}', '{"days":[1]}', ?, ?, ?, ?, ?, ?)`,
    );
    const now = Date.now();
    insert.run('b-vov', 'VOV1', now, now + 86400_000, now, now, 'http://127.0.0.1:9/vov1.mp3', 600_000);
    insert.run('b-thuong', 'Thông báo', now, now + 86400_000, now, now, null, null);
    const vov = (itemId: string) => ({ itemId, bulletinId: 'b-vov' });
    await event('fault', {
      ...vov('vov-sang'),
      at: now,
      reason: 'relay source http://127.0.0.1:9/vov1.mp3: Connection refused',
    });
    const a = await waitFor('relay-failed', async () => (await raised()).find((x) => x.kind === 'relay-failed'));
    expect(a.message).toMatch(/retries until the slot ends/);
    // Not good signs: the failed item ending `finished` (something was relayed before the stream
    // died), an ordinary bulletin starting, a relay start from before the fault.
    const ev = judged('unit-event', 3);
    await event('finished', { ...vov('vov-sang'), at: now + 1000, durationMs: 5000 });
    await event('started', { itemId: 'tb-1', bulletinId: 'b-thuong', at: now + 2000 });
    await event('started', { ...vov('vov-truoc'), at: now - 1000 });
    await ev;
    expect(await isRaised('relay-failed')).toBe(true);
    // The next relay item's stream answers.
    await event('started', { ...vov('vov-chieu'), at: now + 3000 });
    await waitFor('relay cleared', async () => ((await isRaised('relay-failed')) ? undefined : true));
    // Raised again on the next failure, and cleared by that item's own later start (it recovered).
    await event('fault', { ...vov('vov-toi'), at: now + 4000, reason: 'relay source http://x/: end of file' });
    await waitFor('raised again', async () => ((await isRaised('relay-failed')) ? true : undefined));
    await event('started', { ...vov('vov-toi'), at: now + 5000 });
    await waitFor('cleared again', async () => ((await isRaised('relay-failed')) ? undefined : true));
  });

  it('lets a technician clear an alert by hand, audited; refuses others, and other communes’ alerts', async () => {
    await event('fault', { reason: 'amplifier relay gpiochip0:17 could not be set off: line busy' });
    const a = await waitFor('amplifier-fault', async () =>
      (await server.admin.get<{ alerts: Array<Alert & { id: number }> }>('/api/alerts')).body.alerts.find(
        (x) => x.kind === 'amplifier-fault',
      ),
    );
    const technician = await server.userClient('technician');
    const viewer = await server.userClient('viewer');
    expect((await viewer.post(`/api/alerts/${a.id}/clear`, {})).status).toBe(403);
    expect((await technician.post('/api/alerts/999999/clear', {})).status).toBe(404);
    expect((await technician.post('/api/alerts/abc/clear', {})).status).toBe(400);
    expect((await server.admin.post('/api/communes', { id: 'xa-khac', name: 'Xã khác' })).status).toBe(201);
    const elsewhere = await server.userClient('technician', { communeIds: ['xa-khac'] });
    expect((await elsewhere.post(`/api/alerts/${a.id}/clear`, {})).status).toBe(404);
    expect(await isRaised('amplifier-fault')).toBe(true);

    const res = await technician.post<{ state: string; detail: Record<string, unknown> }>(
      `/api/alerts/${a.id}/clear`,
      {},
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'cleared', detail: { clearedBy: technician.username, wanted: 'off' } });
    expect(await isRaised('amplifier-fault')).toBe(false);
    // Again: nothing changes, still 200.
    expect((await technician.post(`/api/alerts/${a.id}/clear`, {})).status).toBe(200);
    const audit = await server.admin.get<{ entries: { action: string; subject: string; username: string }[] }>(
      '/api/audit?action=alert.clear',
    );
    expect(audit.body.entries[0]).toMatchObject({ subject: String(a.id), username: technician.username });
    await waitFor('the webhook told', () =>
      hooks.find((h) => h.kind === 'amplifier-fault' && h.state === 'cleared') ? true : undefined,
    );
  });

  it('raises a hot board over the commune’s threshold and clears it only once it has cooled', async () => {
    await telemetry({ cpuTempC: 78.4 });
    const a = await waitFor('temperature', async () => (await raised()).find((x) => x.kind === 'temperature'));
    expect(a.message).toMatch(/78 °C/);
    await telemetry({ cpuTempC: 68 }); // under 70 but within the hysteresis: still raised
    await new Promise((r) => setTimeout(r, 300));
    expect((await raised()).some((x) => x.kind === 'temperature')).toBe(true);
    await telemetry({ cpuTempC: 60 });
    await waitFor('cooled', async () => ((await raised()).some((x) => x.kind === 'temperature') ? undefined : true));
  });

  it('raises under-voltage while the board reports it', async () => {
    await telemetry({ underVoltage: true });
    await waitFor('under-voltage', async () => (await raised()).find((x) => x.kind === 'under-voltage'));
    await telemetry({ underVoltage: false });
    await waitFor('cleared', async () => ((await raised()).some((x) => x.kind === 'under-voltage') ? undefined : true));
  });

  it('raises offline sooner near a window than away from one, and clears it when the unit returns', async () => {
    const local = toZoned(Date.now(), 'Asia/Ho_Chi_Minh');
    const windowAt = (fromS: number, toS: number) =>
      server.admin.put('/api/communes/default/windows', {
        windows: [{ id: 'w', start: formatClock(local.seconds + fromS), end: formatClock(local.seconds + toS) }],
      });
    await server.admin.request('PATCH', '/api/communes/default', { quietHours: null });
    await unit.publishAsync(
      'loa/v1/units/cum-canh-bao/status',
      JSON.stringify({ online: false, since: Date.now() - 90_000 }),
      {
        qos: 1,
        retain: true,
      },
    );
    await waitFor('offline stored', async () =>
      (await server.admin.get<{ online: boolean }>('/api/units/cum-canh-bao')).body.online ? undefined : true,
    );

    // The only window opens in 3 hours: away from it the threshold is 30 min, and 90 s is no alert.
    expect((await windowAt(3 * 3600, 4 * 3600)).status).toBe(200);
    server.app.services.alertRules.sweepOffline();
    expect((await raised()).some((x) => x.kind === 'offline')).toBe(false);

    // A window around now: the near-window threshold (1 min) applies.
    expect((await windowAt(-600, 600)).status).toBe(200);
    server.app.services.alertRules.sweepOffline();
    const a = await waitFor('offline', async () => (await raised()).find((x) => x.kind === 'offline'));
    expect(a.message).toMatch(/offline for 1 min, close to or during a broadcast window/);

    await unit.publishAsync('loa/v1/units/cum-canh-bao/status', JSON.stringify({ online: true, since: Date.now() }), {
      qos: 1,
      retain: true,
    });
    await waitFor('cleared when back online', async () =>
      (await raised()).some((x) => x.kind === 'offline') ? undefined : true,
    );
  });

  it('refuses thresholds looser near a window than away from it', async () => {
    const res = await server.admin.put<{ field: string }>('/api/communes/default/alert-settings', {
      offlineMinutes: 5,
      offlineMinutesNearWindow: 10,
      temperatureC: 75,
      webhookUrl: null,
    });
    expect(res.status).toBe(400);
    expect(res.body.field).toBe('offlineMinutesNearWindow');
  });
});
