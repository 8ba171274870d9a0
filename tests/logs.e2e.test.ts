// Structured logs (pino): every request line carries its request id, and no secret ever reaches the
// log — not a password, a session cookie, a CSRF token, nor a unit's MQTT secret.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../server/src/app.js';
import { loadConfig } from '../server/src/config.js';
import type {} from '../server/src/auth/auth.plugin.js';
import type {} from '../server/src/broker/broker.plugin.js';
import { ApiClient } from './support/server.js';

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
    for (const s of [password, 'wrong-Password-123', secret]) expect(text).not.toContain(s);
    const requests = lines
      .map((l) => JSON.parse(l) as { reqId?: string; req?: unknown; msg: string })
      .filter((l) => l.req);
    expect(requests.length).toBeGreaterThan(3);
    for (const r of requests) expect(r.reqId).toMatch(/.+/);
  });
});
