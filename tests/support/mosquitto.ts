// A real Mosquitto for tests, configured the way an operator would (DESIGN §8, issue #4): the
// `broker:export` script writes its password and ACL files from the Loa data dir; the server then
// runs in MQTT_URL mode, signs in with its own credentials, and keeps those files current itself
// (MQTT_EXPORT_DIR), making Mosquitto reload them (MQTT_RELOAD_PID_FILE) whenever a unit's secret
// is created, rotated or revoked.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMosquitto, type Mosquitto } from '../../scripts/broker/mosquitto-process.js';
import { startServer, type TestServer } from './server.js';
import { waitFor } from './wait.js';

// Mosquitto itself is started by scripts/broker/mosquitto-process.ts (the fleet benchmark uses it too).
export { freePort, startMosquitto, type Mosquitto } from '../../scripts/broker/mosquitto-process.js';

export interface MosquittoServer {
  server: TestServer;
  mosquitto: Mosquitto;
  serverLogin: { username: string; password: string };
  stop(): Promise<void>;
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
 * observer lasts until the server next rewrites the files (a unit credential change). `created`:
 * units just created, whose export may still be on its way (the server coalesces creations,
 * broker.plugin.ts EXPORT_DELAY_MS) and would then drop the observer: waited for first.
 */
export async function addObserver(
  m: Mosquitto,
  created: string[] = [],
): Promise<{ username: string; password: string }> {
  const exported = () =>
    readFileSync(join(m.exportDir, 'passwd'), 'utf8')
      .split('\n')
      .map((l) => l.split(':')[0]);
  await waitFor('the new units exported', () => (created.every((id) => exported().includes(id)) ? true : undefined));
  const login = { username: 'observer', password: randomBytes(18).toString('base64url') };
  const { mosquittoPasswordHash } = await import('../../server/src/broker/mosquitto.js');
  // Each file replaced whole (written beside it, then renamed), as the server does: a reload still
  // pending from the server's own export must never read a half-written file, or Mosquitto
  // disconnects every client it no longer finds there, the server's among them.
  const append = (name: string, text: string) => {
    const file = join(m.exportDir, name);
    writeFileSync(`${file}.observer`, readFileSync(file, 'utf8') + text, { mode: 0o600 });
    renameSync(`${file}.observer`, file);
  };
  append('passwd', `${login.username}:${mosquittoPasswordHash(login.password)}\n`);
  append('acl', `\nuser ${login.username}\ntopic read #\n`);
  m.child.kill('SIGHUP');
  await waitFor('the observer let in', async () => {
    const { default: mqtt } = await import('mqtt');
    const c = await mqtt.connectAsync(m.url, { ...login, reconnectPeriod: 0 }).catch(() => undefined);
    await c?.endAsync();
    return c ? true : undefined;
  });
  return login;
}
