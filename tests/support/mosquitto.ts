// A real Mosquitto for tests, configured the way an operator would (DESIGN §8, issue #4): the
// `broker:export` script writes its password and ACL files from the Loa data dir; the server then
// runs in MQTT_URL mode, signs in with its own credentials, and keeps those files current itself
// (MQTT_EXPORT_DIR), making Mosquitto reload them (MQTT_RELOAD_PID_FILE) whenever a unit's secret
// is created, rotated or revoked.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startServer, type TestServer } from './server.js';
import { waitFor } from './wait.js';

const ROOT = resolve(import.meta.dirname, '../..');

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolvePort(port));
    });
  });
}

export interface Mosquitto {
  port: number;
  url: string;
  exportDir: string;
  pidFile: string;
  child: ChildProcess;
  /** Everything Mosquitto logged so far. */
  log(): string;
  stop(): Promise<void>;
}

export interface MosquittoServer {
  server: TestServer;
  mosquitto: Mosquitto;
  serverLogin: { username: string; password: string };
  stop(): Promise<void>;
}

/** Exports the configuration from `dataDir` with the real CLI, then starts Mosquitto on it. */
export async function startMosquitto(
  dataDir: string,
  login: { username: string; password: string },
): Promise<Mosquitto> {
  const port = await freePort();
  const exportDir = join(dataDir, 'mosquitto');
  execFileSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'scripts/broker/export.ts'), '--data-dir', dataDir, '--out', exportDir,
      '--port', String(port), '--host', '127.0.0.1'], // prettier-ignore
    { cwd: ROOT, env: { ...process.env, MQTT_USERNAME: login.username, MQTT_PASSWORD: login.password }, stdio: 'pipe' },
  );
  // The exported mosquitto.conf as is, plus what only a test needs: run as this user (Mosquitto
  // started as root would switch to the `mosquitto` user, which cannot read a temp dir).
  const runDir = mkdtempSync(join(tmpdir(), 'loa-mosquitto-'));
  const conf = join(runDir, 'test.conf');
  const user = process.getuid?.() === 0 ? 'user root\n' : '';
  writeFileSync(conf, readFileSync(join(exportDir, 'mosquitto.conf'), 'utf8') + user);
  let out = '';
  const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await waitFor(
    'Mosquitto running',
    () => {
      if (child.exitCode !== null) throw new Error(`mosquitto exited: ${out}`);
      return /mosquitto version [\d.]+ running/.test(out) ? true : undefined;
    },
    10_000,
    50,
  );
  const pidFile = join(runDir, 'mosquitto.pid');
  writeFileSync(pidFile, String(child.pid));
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    exportDir,
    pidFile,
    child,
    log: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}

/** A data dir, Mosquitto on its exported configuration, and the server in MQTT_URL mode against it. */
export async function startServerWithMosquitto(): Promise<MosquittoServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'loa-server-mq-'));
  mkdirSync(dataDir, { recursive: true });
  const serverLogin = { username: 'loa-server', password: randomBytes(24).toString('base64url') };
  const mosquitto = await startMosquitto(dataDir, serverLogin);
  const server = await startServer({
    DATA_DIR: dataDir,
    MQTT_URL: mosquitto.url,
    MQTT_USERNAME: serverLogin.username,
    MQTT_PASSWORD: serverLogin.password,
    MQTT_EXPORT_DIR: mosquitto.exportDir,
    MQTT_RELOAD_PID_FILE: mosquitto.pidFile,
  });
  return {
    server,
    mosquitto,
    serverLogin,
    async stop() {
      await server.close();
      await mosquitto.stop();
    },
  };
}

/**
 * Adds a read-only `observer` account to the exported files (the test's instrument, not part of
 * what is tested) and reloads Mosquitto. The server's own login cannot watch: with
 * `use_username_as_clientid`, a second connection under its name would take over its session. The
 * observer lasts until the server next rewrites the files (a unit credential change).
 */
export async function addObserver(m: Mosquitto): Promise<{ username: string; password: string }> {
  const login = { username: 'observer', password: randomBytes(18).toString('base64url') };
  const { mosquittoPasswordHash } = await import('../../server/src/broker/mosquitto.js');
  writeFileSync(
    join(m.exportDir, 'passwd'),
    readFileSync(join(m.exportDir, 'passwd'), 'utf8') + `${login.username}:${mosquittoPasswordHash(login.password)}\n`,
  );
  writeFileSync(
    join(m.exportDir, 'acl'),
    readFileSync(join(m.exportDir, 'acl'), 'utf8') + `\nuser ${login.username}\ntopic read loa/v1/#\n`,
  );
  m.child.kill('SIGHUP');
  await waitFor('the observer let in', async () => {
    const { default: mqtt } = await import('mqtt');
    const c = await mqtt.connectAsync(m.url, { ...login, reconnectPeriod: 0 }).catch(() => undefined);
    await c?.endAsync();
    return c ? true : undefined;
  });
  return login;
}
