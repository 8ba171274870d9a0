// The real server as its own process (as `npm start` runs it), for benchmarks that must see its CPU
// and memory apart from the load generators.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../../server/src/testing/api-client.js';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

export interface ServerProcess {
  child: ChildProcess;
  api: ApiClient;
  mqttUrl: string;
  /** User + system CPU seconds the server (with its embedded broker) has used so far. */
  cpuSeconds(): number;
  /** Peak resident memory so far, MB. */
  peakRssMb(): number;
  stop(): Promise<void>;
}

export async function startServerProcess(env: Record<string, string> = {}): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'loa-bench-server-'));
  const password = `Bench-${Math.random().toString(36).slice(2)}-Aa1`;
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'server/src/main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: '0',
      MQTT_PORT: '0',
      HOST: '127.0.0.1',
      MQTT_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      LOA_ADMIN_PASSWORD: password,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-100_000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 60_000;
  let m: RegExpExecArray | null = null;
  while (!(m = /Loa is running: http:\/\/localhost:(\d+)\/\s+\(embedded MQTT broker on port (\d+)/.exec(out))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the server did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const api = new ApiClient(`http://127.0.0.1:${m[1]}`);
  await api.login('admin', password);
  const stat = () => readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return {
    child,
    api,
    mqttUrl: `mqtt://127.0.0.1:${m[2]}`,
    cpuSeconds: () => {
      const f = stat();
      return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, clock ticks
    },
    peakRssMb: () => {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return hwm ? Math.round(Number(hwm[1]) / 1024) : NaN;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
