// A real agent process against a real server (the agent's command line, a file sink), for the
// benchmarks that measure the whole path; tests/support/agent.ts does the same for the tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

export function startAgentProcess(opts: { mqttUrl: string; unit: string; secret: string; serverKeyPem: string }) {
  const dataDir = mkdtempSync(join(tmpdir(), 'loa-bench-agent-'));
  const sinkDir = join(dataDir, 'sink');
  const keyFile = join(dataDir, 'server-key.pem');
  writeFileSync(keyFile, opts.serverKeyPem);
  const child = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', join(ROOT, 'agent/src/main.ts'), '--server', opts.mqttUrl, '--unit', opts.unit],
      ...['--secret', opts.secret, '--data-dir', dataDir, '--sink', `file:${sinkDir}`, '--server-key', keyFile],
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  const collect = (buf: Buffer) => lines.push(...buf.toString().split('\n').filter(Boolean));
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    sinkDir,
    lines,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
