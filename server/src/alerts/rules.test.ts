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

  it('raises an amplifier fault from the agent’s fault event', async () => {
    await event('fault', { reason: 'amplifier relay gpiochip0:17 could not be set on: line busy' });
    const a = await waitFor('amplifier-fault', async () => (await raised()).find((x) => x.kind === 'amplifier-fault'));
    expect(a.message).toMatch(/relay wiring/);
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
