// A cluster of broker nodes as real processes (issue #10), for benchmarks and tests: Debian's
// `redis-server` on a free port in a temp dir, and broker nodes (server/src/broker-node/main.ts,
// what `npm run broker` runs) sharing it. The server joins them with `startServer({ MQTT_URL: node.url, REDIS_URL: redis.url })`
// or `startServerProcess` with the same variables.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HEAP_LIMIT_FLAG } from '../../../server/src/heap-limit.js';

export { freePort, startRedis, type RedisProcess } from '../../../server/src/testing/redis.js';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

interface Watched {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function watch(child: ChildProcess): Watched {
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-200_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  // A benchmark or test that dies must not leave its nodes behind.
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  void exited.then(() => process.off('exit', orphan));
  return { child, output: () => out, exited };
}

async function until(w: Watched, what: string, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(w.output());
    if (m) return m;
    if (w.child.exitCode !== null || w.child.signalCode !== null)
      throw new Error(`${what} exited before it was ready:\n${w.output()}`);
    if (Date.now() > deadline) {
      w.child.kill('SIGKILL');
      throw new Error(`${what} not ready within ${timeoutMs} ms:\n${w.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** CPU seconds (user + system) and peak resident memory of a child, from /proc. */
function usage(pid: number) {
  return {
    cpuSeconds() {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks
    },
    peakRssMb() {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return hwm ? Math.round(Number(hwm[1]) / 1024) : NaN;
    },
  };
}

export interface BrokerNodeProcess {
  /** The node's plain MQTT port. */
  port: number;
  /** `mqtt://127.0.0.1:PORT`: for MQTT_URL (the control plane) or a unit's `--server`. */
  url: string;
  child: ChildProcess;
  /** What the node printed and logged so far (the last 200 kB). */
  output(): string;
  cpuSeconds(): number;
  peakRssMb(): number;
  /** Stops the node (SIGTERM: clients closed cleanly; SIGKILL: a crash) and resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts one broker node (`npm run broker`) as its own process, on `port` (a free one when 0 or
 * unset; pass the old port to restart a node where its units expect it). Resolves when it listens.
 */
export async function startBrokerNode(opts: {
  redisUrl: string;
  port?: number;
  host?: string;
  /** More environment: LOG_LEVEL, TLS_CERT/TLS_KEY/MQTTS_PORT… */
  env?: Record<string, string>;
  timeoutMs?: number;
}): Promise<BrokerNodeProcess> {
  // As `npm run broker` runs it (server/src/heap-limit.ts).
  const args = [HEAP_LIMIT_FLAG, '--import', 'tsx', join(ROOT, 'server/src/broker-node/main.ts')];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      REDIS_URL: opts.redisUrl,
      MQTT_PORT: String(opts.port ?? 0),
      MQTT_HOST: opts.host ?? '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const w = watch(child);
  const m = await until(w, 'the broker node', /broker node is running: MQTT on port (\d+)/, opts.timeoutMs ?? 60_000);
  const port = Number(m[1]);
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    child,
    output: w.output,
    ...usage(child.pid!),
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return w.exited;
    },
  };
}
