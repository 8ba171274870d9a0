// Debian's `redis-server` for tests and benchmarks of broker nodes (issue #10): loopback only, a
// free port, a temp dir, nothing kept on disk unless asked. Real Redis, never a mock.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export { freePort };

export interface RedisProcess {
  port: number;
  /** `redis://127.0.0.1:PORT`, for REDIS_URL. */
  url: string;
  child: ChildProcess;
  /** User + system CPU seconds it has used so far. */
  cpuSeconds(): number;
  /** Stops it (its data goes with it) and deletes its temp dir. */
  stop(): Promise<void>;
}

/** Starts `redis-server` on 127.0.0.1 (a free port unless `port`); resolves when it accepts connections. */
export async function startRedis(opts: { port?: number } = {}): Promise<RedisProcess> {
  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'loa-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.once('error', (err) => (out += `\n${err.message}`)); // e.g. redis-server not installed
  const exited = new Promise<void>((r) => child.once('close', () => r()));
  // A test or benchmark that dies must not leave its Redis behind.
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  void exited.then(() => process.off('exit', orphan));
  const deadline = Date.now() + 10_000;
  while (!/Ready to accept connections/.test(out)) {
    if (child.exitCode !== null || child.signalCode !== null || /ENOENT/.test(out) || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start (apt-get install redis-server):\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    child,
    cpuSeconds() {
      const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
