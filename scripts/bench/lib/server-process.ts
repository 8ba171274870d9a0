// The real server as its own process (as `npm start` runs it), for benchmarks that must see its CPU
// and memory apart from the load generators.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../../server/src/testing/api-client.js';
import { ARENA_MAX } from '../../../server/src/broker/thread/allocator.js';
import { HEAP_LIMIT_FLAG } from '../../../server/src/heap-limit.js';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

export interface ServerProcess {
  child: ChildProcess;
  api: ApiClient;
  /** The broker the server uses: its embedded one, or MQTT_URL. */
  mqttUrl: string;
  dataDir: string;
  /** The first administrator's login (to sign in other clients, such as a dashboard load). */
  admin: { username: string; password: string };
  /** User + system CPU seconds the server (with its embedded broker) has used so far. */
  cpuSeconds(): number;
  /** Peak resident memory so far, MB. */
  peakRssMb(): number;
  stop(): Promise<void>;
}

/**
 * A DATA_DIR in `env` is used as given (an external broker's configuration is exported from it
 * first). A restart on the same DATA_DIR passes the LOA_ADMIN_PASSWORD of the first start.
 */
export async function startServerProcess(
  env: Record<string, string> = {},
  /** Extra Node options for the server, e.g. `--cpu-prof --cpu-prof-dir DIR` to profile it. */
  nodeArgs: string[] = [],
): Promise<ServerProcess> {
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'loa-bench-server-'));
  const password = env.LOA_ADMIN_PASSWORD ?? `Bench-${Math.random().toString(36).slice(2)}-Aa1`;
  // As `npm start` runs it (server/src/heap-limit.ts), unless the caller gives its own.
  const heap = nodeArgs.some((a) => a.startsWith('--max-old-space-size')) ? [] : [HEAP_LIMIT_FLAG];
  const child = spawn(process.execPath, [...heap, ...nodeArgs, '--import', 'tsx', join(ROOT, 'server/src/main.ts')], {
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
      // As `npm start` runs it (server/src/broker/thread/allocator.ts).
      MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? ARENA_MAX,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-100_000)));
  let stopping = false;
  const exited = new Promise<void>((r) =>
    child.once('exit', (code, signal) => {
      // A server that dies under load says why: its last words, not only the harness's ENOENT.
      if (!stopping && crashed(code, signal))
        console.error(`the server exited (${code ?? signal}); its last output:\n${out.slice(-6000)}`);
      r();
    }),
  );
  const deadline = Date.now() + 60_000;
  const running =
    /Loa is running: http:\/\/localhost:(\d+)\/\s+\((?:embedded MQTT broker on port (\d+)|external MQTT broker (\S+);)/;
  let m: RegExpExecArray | null = null;
  while (!(m = running.exec(out))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the server did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const api = new ApiClient(`http://127.0.0.1:${m[1]}`);
  await api.login('admin', password);
  return {
    child,
    api,
    mqttUrl: m[2] ? `mqtt://127.0.0.1:${m[2]}` : m[3]!,
    dataDir,
    admin: { username: 'admin', password },
    cpuSeconds: () => cpuSecondsOf(child.pid!),
    peakRssMb: () => peakRssMbOf(child.pid!),
    async stop() {
      stopping = true;
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** An exit nobody asked for: an error's exit code, or a signal other than those that end it on purpose. */
const crashed = (code: number | null, signal: NodeJS.Signals | null) =>
  (code !== null && code !== 0) || (signal !== null && !['SIGKILL', 'SIGTERM', 'SIGINT'].includes(signal));

/** User + system CPU seconds a process (all its threads) has used so far. */
export function cpuSecondsOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, clock ticks
}

/** A process's peak resident memory so far, MB. */
export function peakRssMbOf(pid: number): number {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return hwm ? Math.round(Number(hwm[1]) / 1024) : NaN;
}
