// The control plane as a real process that a drill can kill and start again (issue #10): the same
// DATA_DIR, the same HTTP and MQTT ports (units and agents keep their broker URL), the same first
// administrator. What it stored is read beside it, read-only, as the fleet benchmark does.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startServerProcess, type ServerProcess } from '../../../scripts/bench/lib/server-process.js';
import { freePort } from '../../support/mosquitto.js';

export interface RestartableServer {
  /** The process running now. */
  readonly current: ServerProcess;
  mqttUrl: string;
  /** Ends the process with `signal`; resolves with its exit code (null when killed by the signal). */
  end(signal: 'SIGKILL' | 'SIGTERM'): Promise<number | null>;
  /** Starts it again on the same data dir and ports; resolves once it serves and is signed in. */
  start(): Promise<void>;
  /** Runs `fn` on a read-only connection to the server's database. */
  read<T>(fn: (db: Database.Database) => T): T;
  stop(): Promise<void>;
}

export async function startRestartableServer(): Promise<RestartableServer> {
  const env = {
    DATA_DIR: mkdtempSync(join(tmpdir(), 'loa-drill-server-')),
    PORT: String(await freePort()),
    MQTT_PORT: String(await freePort()),
    LOA_ADMIN_PASSWORD: `Drill-${randomBytes(12).toString('base64url')}-Aa1`,
  };
  let current = await startServerProcess(env);
  return {
    get current() {
      return current;
    },
    mqttUrl: `mqtt://127.0.0.1:${env.MQTT_PORT}`,
    async end(signal) {
      const { child } = current;
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill(signal);
      return exited;
    },
    async start() {
      current = await startServerProcess(env);
    },
    read(fn) {
      const db = new Database(join(env.DATA_DIR, 'loa.db'), { readonly: true });
      try {
        return fn(db);
      } finally {
        db.close();
      }
    },
    async stop() {
      if (current.child.exitCode === null && current.child.signalCode === null) await current.stop();
      rmSync(env.DATA_DIR, { recursive: true, force: true });
    },
  };
}
