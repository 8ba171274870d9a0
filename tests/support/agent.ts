// Starts a real agent process (one node process, so a kill reaches the agent itself).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export interface AgentProcess {
  child: ChildProcess;
  dataDir: string;
  sinkDir: string;
  /** Every line the agent wrote to stderr and stdout so far. */
  lines: string[];
  /** When this process read each of `lines` (Date.now()): the agent wrote it at or before. */
  heardAt: number[];
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startAgent(opts: {
  mqttUrl: string;
  unit: string;
  secret: string;
  serverKeyPem: string;
  dataDir?: string;
  /** More options, e.g. `['--relay', 'file:…']`. */
  args?: string[];
}): AgentProcess {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'loa-agent-'));
  const sinkDir = join(dataDir, 'sink');
  const keyFile = join(dataDir, 'server-key.pem');
  writeFileSync(keyFile, opts.serverKeyPem);
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'agent/src/main.ts'),
      '--server',
      opts.mqttUrl,
      '--unit',
      opts.unit,
      '--secret',
      opts.secret,
      '--data-dir',
      dataDir,
      '--sink',
      `file:${sinkDir}`,
      '--server-key',
      keyFile,
      ...(opts.args ?? []),
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  const heardAt: number[] = [];
  // Whole lines only: a pipe may hand over a line in two reads (tests look for line starts).
  const collector = () => {
    let partial = '';
    return (text: string) => {
      const read = (partial + text).split('\n');
      partial = read.pop()!;
      const whole = read.filter(Boolean);
      lines.push(...whole);
      heardAt.push(...whole.map(() => Date.now()));
    };
  };
  child.stdout!.setEncoding('utf8').on('data', collector()); // decodes a character split between reads
  child.stderr!.setEncoding('utf8').on('data', collector());
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    dataDir,
    sinkDir,
    lines,
    heardAt,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
