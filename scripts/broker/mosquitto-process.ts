// A real Mosquitto on the configuration Loa exports (DESIGN §8, issue #4), as an operator would run
// it: the `broker:export` CLI writes its password and ACL files from the Loa data dir, plus what
// only a test or a benchmark needs (run as this user, a pid file for MQTT_RELOAD_PID_FILE). Used by
// the end-to-end tests (tests/support/mosquitto.ts) and the fleet benchmark.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../server/src/testing/wait.js';
import { freePort } from '../../server/src/testing/free-port.js';

export { freePort };

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

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

/**
 * Exports the configuration from `dataDir` with the real CLI, then starts Mosquitto on it.
 * `extraConf`: lines added after the exported ones (a benchmark trying a tuning).
 */
export async function startMosquitto(
  dataDir: string,
  login: { username: string; password: string },
  extraConf = '',
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
  writeFileSync(conf, readFileSync(join(exportDir, 'mosquitto.conf'), 'utf8') + user + extraConf);
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
