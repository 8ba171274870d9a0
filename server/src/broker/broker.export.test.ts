// The server keeping an external Mosquitto's files (MQTT_EXPORT_DIR, MQTT_RELOAD_PID_FILE), with a
// real Mosquitto (issue #10). Units created together share one export and one reload — one per
// creation made creating a province quadratic — while a revoked or rotated secret is exported and
// reloaded before the answer, so a stolen board is cut off at once (issue #4).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../db/database.js';
import { startServer, type TestServer } from '../testing/start-server.js';
import { waitFor } from '../testing/wait.js';
import { EXPORT_DELAY_MS } from './broker.plugin.js';
import { exportMosquittoConfig, verifyMosquittoHash } from './mosquitto.js';
import { freePort } from '../testing/free-port.js';

const UNITS = 40;
const login = { username: 'loa-server', password: 'the-server-broker-password' };

describe('the Mosquitto files the server keeps', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'loa-export-delay-'));
  const exportDir = join(dataDir, 'mosquitto');
  let mosquitto: ChildProcess;
  let log = '';
  let url = '';
  let server: TestServer;
  /** unit id → its Mosquitto hash, as the password file holds it now. */
  const passwd = () =>
    new Map(
      readFileSync(join(exportDir, 'passwd'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(/:(.*)/s) as [string, string]),
    );
  // The reloads the server asks for (Mosquitto merges signals that arrive close together, so its own
  // log would count fewer). The signals still reach it: the spy only watches.
  const kill = vi.spyOn(process, 'kill');
  const reloads = () => kill.mock.calls.filter(([pid, signal]) => pid === mosquitto.pid && signal === 'SIGHUP').length;
  const signIn = (username: string, password: string) =>
    mqtt.connectAsync(url, { username, password, clientId: `loa-unit-${username}`, reconnectPeriod: 0 });

  beforeAll(async () => {
    // As an operator would: export from the data dir, start Mosquitto on it, then the server.
    const port = await freePort();
    url = `mqtt://127.0.0.1:${port}`;
    mkdirSync(dataDir, { recursive: true });
    const db = openDatabase(join(dataDir, 'loa.db'));
    exportMosquittoConfig(db, { dir: exportDir, server: login, port, host: '127.0.0.1' });
    db.close();
    const conf = join(exportDir, 'mosquitto.conf');
    // Run as this user (Mosquitto started as root would switch to `mosquitto`, who cannot read a temp dir).
    if (process.getuid?.() === 0) writeFileSync(conf, readFileSync(conf, 'utf8') + 'user root\n');
    mosquitto = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    mosquitto.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await waitFor('Mosquitto running', () => /running/.test(log) || undefined, 10_000, 50);
    writeFileSync(join(dataDir, 'mosquitto.pid'), String(mosquitto.pid));
    server = await startServer({
      DATA_DIR: dataDir,
      MQTT_URL: url,
      MQTT_USERNAME: login.username,
      MQTT_PASSWORD: login.password,
      MQTT_EXPORT_DIR: exportDir,
      MQTT_RELOAD_PID_FILE: join(dataDir, 'mosquitto.pid'),
    });
  });
  afterAll(async () => {
    kill.mockRestore();
    await server?.close();
    mosquitto?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`exports ${UNITS} units created together in a few reloads, not one each, and lets them in`, async () => {
    const before = reloads();
    const started = Date.now();
    const created = await Promise.all(
      Array.from({ length: UNITS }, async (_, i) => {
        const id = `thon-${i}`;
        const res = await server.admin.post<{ secret: string }>('/api/units', { id, name: id });
        expect(res.status).toBe(201);
        return { id, secret: res.body.secret };
      }),
    );
    const elapsed = Date.now() - started;
    await waitFor('every new unit in the password file', () =>
      created.every((u) => passwd().has(u.id)) ? true : undefined,
    );
    const last = created.at(-1)!;
    const client = await waitFor('the last unit let in', () => signIn(last.id, last.secret).catch(() => undefined));
    await client.endAsync();
    const n = reloads() - before;
    expect(n).toBeGreaterThanOrEqual(1);
    // One per window of EXPORT_DELAY_MS while the creations went on, and far fewer than one each.
    expect(n).toBeLessThanOrEqual(Math.ceil(elapsed / EXPORT_DELAY_MS) + 1);
    expect(n).toBeLessThan(UNITS / 4);
  });

  it('exports and reloads a revocation before answering, with a creation still waiting, and a rotation too', async () => {
    const kept = await server.admin.post<{ secret: string }>('/api/units', { id: 'cum-mat', name: 'Cụm bị mất' });
    const board = await waitFor('the board signed in', () =>
      signIn('cum-mat', kept.body.secret).catch(() => undefined),
    );
    const closed = new Promise<void>((r) => board.once('close', () => r()));

    expect((await server.admin.post('/api/units', { id: 'cum-moi', name: 'Cụm mới' })).status).toBe(201);
    const revokedAt = Date.now();
    const before = reloads();
    expect((await server.admin.post('/api/units/cum-mat/revoke')).status).toBe(200);
    // Written and reloaded before the answer: the revoked unit gone, the one created just before there.
    expect(reloads()).toBe(before + 1);
    const after = passwd();
    expect(after.has('cum-mat')).toBe(false);
    expect(after.has('cum-moi')).toBe(true);
    await closed;
    expect(Date.now() - revokedAt, 'disconnected by the reload').toBeLessThan(3000);
    await expect(signIn('cum-mat', kept.body.secret)).rejects.toThrow(/not authori[sz]ed/i);

    const rotated = await server.admin.post<{ secret: string }>('/api/units/cum-moi/secret');
    expect(rotated.status).toBe(200);
    expect(reloads()).toBe(before + 2);
    expect(verifyMosquittoHash(rotated.body.secret, passwd().get('cum-moi')!)).toBe(true);
  });
});
