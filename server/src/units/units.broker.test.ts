// Issue #4: with an external broker the server does not manage, revoking or rotating a unit cannot
// disconnect it. The server says so at start in its log and in the revoke/rotate answer, rather
// than let an administrator believe a stolen board is cut off.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { ApiClient } from '../testing/api-client.js';
import { waitFor } from '../testing/wait.js';
import { brokerEnforcement } from './units.broker.js';
import type {} from '../auth/auth.plugin.js';
import { freePort } from '../testing/free-port.js';

describe('brokerEnforcement', () => {
  const external = { mqttUrl: 'mqtt://broker:1883', redisUrl: undefined };
  it('is applied by the embedded broker, broker nodes, and a Mosquitto whose files the server keeps and reloads', () => {
    const none = { mqttExportDir: undefined, mqttReloadPidFile: undefined };
    expect(brokerEnforcement({ ...none, mqttUrl: undefined, redisUrl: undefined })).toEqual({ applied: true });
    expect(brokerEnforcement({ ...none, mqttUrl: 'mqtt://node:1883', redisUrl: 'redis://r' })).toEqual({
      applied: true,
    });
    expect(
      brokerEnforcement({ ...external, mqttExportDir: '/etc/mosquitto/loa', mqttReloadPidFile: '/run/mosquitto.pid' }),
    ).toEqual({ applied: true });
  });
  it('is not, saying what to do, without the files or without the reload', () => {
    const unmanaged = brokerEnforcement({ ...external, mqttExportDir: undefined, mqttReloadPidFile: undefined });
    expect(unmanaged).toMatchObject({ applied: false, message: expect.stringContaining('MQTT_EXPORT_DIR') });
    const noReload = brokerEnforcement({ ...external, mqttExportDir: '/etc/loa', mqttReloadPidFile: undefined });
    expect(noReload).toMatchObject({ applied: false, message: expect.stringContaining('MQTT_RELOAD_PID_FILE') });
  });
});

describe('an external broker the server does not manage', () => {
  let mosquitto: ChildProcess;
  let app: FastifyInstance;
  let admin: ApiClient;
  const log: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'loa-unmanaged-'));

  beforeAll(async () => {
    // An operator's own Mosquitto, configured without Loa's files (anonymous: not what is tested).
    const port = await freePort();
    const conf = join(dir, 'mosquitto.conf');
    const user = process.getuid?.() === 0 ? 'user root\n' : '';
    writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\n${user}`);
    let out = '';
    mosquitto = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    mosquitto.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor('Mosquitto running', () => /running/.test(out) || undefined, 10_000, 50);
    const config = loadConfig({
      DATA_DIR: join(dir, 'data'),
      PORT: '0',
      HOST: '127.0.0.1',
      MQTT_URL: `mqtt://127.0.0.1:${port}`,
      LOG_LEVEL: 'warn',
    });
    app = await buildApp(config, { logStream: { write: (line: string) => void log.push(line) } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    admin = new ApiClient(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`);
    await admin.login(app.firstAdmin!.username, app.firstAdmin!.password);
  });
  afterAll(async () => {
    await app?.close();
    mosquitto?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('warns at start, and answers a revoke and a rotation with brokerApplied: false and what to do', async () => {
    const warned = log.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40);
    expect(warned.map((l) => l.msg)).toContainEqual(expect.stringContaining('MQTT_EXPORT_DIR is unset'));
    expect((await admin.post('/api/units', { id: 'cum-mat', name: 'Cụm bị mất' })).status).toBe(201);
    const revoked = await admin.post<{ revokedAt: number; brokerApplied: boolean; brokerMessage: string }>(
      '/api/units/cum-mat/revoke',
    );
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toBeGreaterThan(0);
    expect(revoked.body).toMatchObject({
      brokerApplied: false,
      brokerMessage: expect.stringContaining('stays connected'),
    });
    const rotated = await admin.post<{ secret: string; brokerApplied: boolean; brokerMessage: string }>(
      '/api/units/cum-mat/secret',
    );
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({
      brokerApplied: false,
      brokerMessage: expect.stringContaining('broker:export'),
    });
  });
});
