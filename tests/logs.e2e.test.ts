// Structured logs (pino): every request line carries its request id, and no secret ever reaches the
// log — not a password, a session cookie, a CSRF token, a unit's MQTT secret, an API token, a live
// session's key, nor a commune's webhook URL (it may carry a chat group's token in its path).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { formatClock, toZoned, topics } from '@loa/shared';
import { buildApp } from '../server/src/app.js';
import { loadConfig } from '../server/src/config.js';
import type {} from '../server/src/auth/auth.plugin.js';
import type {} from '../server/src/broker/broker.plugin.js';
import { ApiClient } from './support/server.js';
import { waitFor } from './support/wait.js';

describe('the server log', () => {
  const lines: string[] = [];
  let close: (() => Promise<unknown>) | undefined;
  afterAll(async () => close?.());

  it('holds request ids and no secrets', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'loa-logs-'));
    const app = await buildApp(
      loadConfig({
        DATA_DIR: dataDir,
        PORT: '0',
        HOST: '127.0.0.1',
        MQTT_PORT: '0',
        MQTT_HOST: '127.0.0.1',
        LOG_LEVEL: 'trace',
      }),
      { logStream: { write: (line: string) => void lines.push(line) } },
    );
    close = () => app.close();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const password = app.firstAdmin!.password;

    const api = new ApiClient(base);
    expect((await api.post('/api/auth/login', { username: 'admin', password: 'wrong-Password-123' })).status).toBe(401);
    await api.login('admin', password);
    const unit = await api.post<{ secret: string }>('/api/units', { id: 'cum-log', name: 'Cụm' });
    const secret = unit.body.secret;
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${app.embeddedBroker!.port}`, {
      clientId: 'loa-unit-cum-log',
      username: 'cum-log',
      password: secret,
      reconnectPeriod: 0,
    });
    // An API token, used and mistyped.
    const made = await api.post<{ token: string }>('/api/tokens', { name: 'tỉnh', permissions: ['units:read'] });
    const token = made.body.token;
    expect(token.length).toBeGreaterThan(16);
    expect((await ApiClient.withToken(base, token).get('/api/units')).status).toBe(200);
    expect((await ApiClient.withToken(base, `${token}x`).get('/api/units')).status).toBe(401);

    // A webhook with a token in its path, called (and failing: nothing listens there) for an alert.
    const hookSecret = randomBytes(12).toString('hex');
    const webhookUrl = `http://127.0.0.1:9/hook/${hookSecret}`;
    const put = await api.put('/api/communes/default/alert-settings', {
      offlineMinutes: 15,
      offlineMinutesNearWindow: 2,
      temperatureC: 75,
      webhookUrl,
    });
    expect(put.status).toBe(200);
    await client.publishAsync(
      topics.telemetry('cum-log'),
      JSON.stringify({ at: Date.now(), uptimeS: 1, underVoltage: true }),
    );
    await waitFor('the webhook tried', () => (lines.some((l) => l.includes('alerts: webhook')) ? true : undefined));

    // A live session: its key reaches the unit in the signed live-start, and never the log.
    const minute = Math.floor(toZoned(Date.now(), 'Asia/Ho_Chi_Minh').seconds / 60) * 60;
    await api.patch('/api/communes/default', { quietHours: null });
    const windows = await api.put('/api/communes/default/windows', {
      windows: [{ id: 'bay-gio', start: formatClock(minute - 300), end: formatClock(minute + 3600) }],
    });
    expect(windows.status, JSON.stringify(windows.body)).toBe(200);
    const planOf = app.db.prepare('SELECT body FROM plans WHERE unit_id = ?').pluck();
    await waitFor('a plan with the window open', () => {
      const body = planOf.get('cum-log') as string | undefined;
      const now = Date.now();
      const open = body && (JSON.parse(body) as { windows: { startAt: number; endAt: number }[] }).windows;
      return open && open.some((w) => w.startAt <= now && now < w.endAt) ? true : undefined;
    });
    let liveKey = '';
    client.on('message', (_topic, payload) => {
      const cmd = JSON.parse(JSON.parse(payload.toString()).body as string) as { type: string; args: { key?: string } };
      if (cmd.type === 'live-start') liveKey = cmd.args.key ?? '';
    });
    await client.subscribeAsync(topics.cmd('cum-log'), { qos: 1 });
    const live = await api.post<{ id: string }>('/api/live', {
      communeId: 'default',
      targets: { unitIds: ['cum-log'] },
      volume: 80,
    });
    expect(live.status, JSON.stringify(live.body)).toBe(201);
    await waitFor('the live-start', () => (liveKey ? true : undefined));
    expect((await api.post(`/api/live/${live.body.id}/stop`, {})).status).toBe(200);
    await client.endAsync();
    await mqtt
      .connectAsync(`mqtt://127.0.0.1:${app.embeddedBroker!.port}`, {
        clientId: 'loa-unit-cum-log',
        username: 'cum-log',
        password: `${secret}x`,
        reconnectPeriod: 0,
      })
      .then(
        (c) => c.endAsync(),
        () => undefined,
      );
    await api.request('POST', '/api/auth/logout');
    await new Promise((r) => setTimeout(r, 200));

    const text = lines.join('');
    const cookies = text.match(/loa_session=[^;"\s]+/g) ?? [];
    expect(cookies).toEqual([]);
    for (const s of [password, 'wrong-Password-123', secret, token, liveKey, hookSecret]) expect(text).not.toContain(s);
    const requests = lines
      .map((l) => JSON.parse(l) as { reqId?: string; req?: unknown; msg: string })
      .filter((l) => l.req);
    expect(requests.length).toBeGreaterThan(3);
    for (const r of requests) expect(r.reqId).toMatch(/.+/);
  });
});
