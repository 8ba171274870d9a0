// scripts/backup: a hot backup while the server runs, and a restore that brings a fresh server up
// with all bulletins, units, users, play logs and media.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../server/src/app.js';
import { loadConfig } from '../server/src/config.js';
import type {} from '../server/src/auth/auth.plugin.js';
import { makeTone } from './support/audio.js';
import { ApiClient, startServer, type TestServer } from './support/server.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const backupScript = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/backup/backup.ts'), ...args], { cwd: ROOT });

describe('backup and restore', () => {
  let server: TestServer | undefined;
  const closers: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const c of closers) await c();
    await server?.close();
  });

  it('backs up a running server and restores it into a fresh one', async () => {
    server = await startServer();
    const { admin } = server;
    const password = server.app.firstAdmin!.password;
    const created = await admin.post<{ secret: string }>('/api/units', { id: 'ban-na-1', name: 'Cụm loa Bản Nà' });
    const media = await admin.upload<{ sha256: string }>(makeTone(mkdtempSync(join(tmpdir(), 'loa-bk-')), 2));
    const bulletin = await admin.post<{ id: string }>('/api/bulletins', {
      title: 'Thông báo <script>alert(1)</script> thu thuế',
      level: 'ordinary',
      mediaSha256: media.body.sha256,
      targets: { unitIds: ['ban-na-1'] },
      recurrence: { days: [1, 3, 5], windowIds: ['morning'] },
      validFrom: new Date().toISOString(),
      validUntil: new Date(Date.now() + 86400_000).toISOString(),
    });
    expect(bulletin.status).toBe(201);
    // A play-log row, through the real protocol.
    const unit = await mqtt.connectAsync(server.mqttUrl, {
      clientId: 'loa-unit-ban-na-1',
      username: 'ban-na-1',
      password: created.body.secret,
      reconnectPeriod: 0,
    });
    const acked = new Promise((r) => unit.once('message', r));
    await unit.subscribeAsync('loa/v1/units/ban-na-1/events/ack', { qos: 1 });
    await unit.publishAsync(
      'loa/v1/units/ban-na-1/events',
      JSON.stringify({ events: [{ seq: 1, at: Date.now(), type: 'skipped', itemId: 'x@1', reason: 'test' }] }),
      { qos: 1 },
    );
    await acked;
    await unit.endAsync();

    const out = mkdtempSync(join(tmpdir(), 'loa-backup-'));
    const first = await backupScript('--data-dir', server.dataDir, '--out', out);
    expect(first.stdout).toMatch(/backed up the database/);
    expect(existsSync(join(out, 'media', `${media.body.sha256}.ogg`))).toBe(true);
    // A second backup into the same folder copies nothing new.
    expect((await backupScript('--data-dir', server.dataDir, '--out', out)).stdout).toMatch(/and 0 new files/);

    const restored = join(mkdtempSync(join(tmpdir(), 'loa-restored-')), 'data');
    expect((await backupScript('restore', '--from', out, '--data-dir', restored)).stdout).toMatch(/restored/);
    // Restoring over an existing database is refused.
    await expect(backupScript('restore', '--from', out, '--data-dir', restored)).rejects.toThrow(
      /already holds a Loa database/,
    );

    const app = await buildApp(
      loadConfig({
        DATA_DIR: restored,
        PORT: '0',
        HOST: '127.0.0.1',
        MQTT_PORT: '0',
        MQTT_HOST: '127.0.0.1',
        LOG_LEVEL: 'error',
      }),
    );
    closers.push(() => app.close());
    await app.listen({ port: 0, host: '127.0.0.1' });
    expect(app.firstAdmin).toBeUndefined(); // the users came back: no new admin
    const api = new ApiClient(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`);
    await api.login('admin', password);
    expect((await api.get<{ units: Array<{ id: string }> }>('/api/units')).body.units.map((u) => u.id)).toEqual([
      'ban-na-1',
    ]);
    const b = await api.get<{ title: string }>(`/api/bulletins/${bulletin.body.id}`);
    expect(b.body.title).toBe('Thông báo <script>alert(1)</script> thu thuế');
    expect(
      (await api.get<{ entries: Array<{ itemId: string }> }>('/api/units/ban-na-1/play-log')).body.entries.map(
        (e) => e.itemId,
      ),
    ).toEqual(['x@1']);
    expect((await api.get<{ sha256: string }>(`/api/media/${media.body.sha256}`)).status).toBe(200);
    expect(existsSync(join(restored, 'keys', 'server-ed25519.pem'))).toBe(true);
  }, 60_000);

  it('refuses a damaged backup', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'loa-badbackup-'));
    writeFileSync(join(bad, 'loa.db'), 'this is not a database');
    await expect(backupScript('restore', '--from', bad, '--data-dir', join(bad, 'target'))).rejects.toThrow(
      /backup|database/,
    );
  });
});
