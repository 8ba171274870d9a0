// A real agent process for the agent benchmarks: an in-process broker and a stand-in server (the
// agent's own test drivers), the agent bundled as a board runs it (or through tsx, to compare),
// and a way to hand it a signed plan.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { setPriority, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PlanBody } from '@loa/shared';
import { startBroker, type TestBroker } from '../../../agent/src/testing/broker.js';
import { FakeServer, waitFor } from '../../../agent/src/testing/fake-server.js';
import { makeKeys, type TestKeys } from '../../../agent/src/testing/keys.js';
import { bundleAgent } from '../../install/bundle-agent.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
export const UNIT = 'bench-unit';
const SECRET = 'bench-secret';

export type Sched = 'fifo' | 'nice' | 'none';

/** What the systemd unit gives the agent, when this process may (root); else nothing. */
export const DEFAULT_SCHED: Sched = process.getuid?.() === 0 ? 'fifo' : 'none';

export interface AgentRig {
  dir: string;
  broker: TestBroker;
  server: FakeServer;
  keys: TestKeys;
  child: ChildProcess;
  /** Everything the agent logged. */
  lines: string[];
  publishPlan(plan: PlanBody): Promise<void>;
  close(): Promise<void>;
}

export async function startAgentRig(opts: {
  mode: 'bundle' | 'tsx';
  sink: (dir: string) => string;
  args?: string[];
  /**
   * The agent's scheduling, as the systemd unit sets it: `fifo` (CPUSchedulingPolicy=fifo, priority
   * 10), `nice` (-10), or `none`. Needs root.
   */
  sched?: Sched;
}): Promise<AgentRig> {
  const dir = await mkdtemp(join(tmpdir(), 'loa-bench-'));
  const broker = await startBroker({ [UNIT]: SECRET });
  const keys = await makeKeys(dir);
  const server = new FakeServer(await broker.serverClient());
  await server.start();
  const entry =
    opts.mode === 'bundle'
      ? [(await bundleAgent(join(dir, 'loa-agent.mjs'))).outfile]
      : ['--import', 'tsx', join(ROOT, 'agent/src/main.ts')];
  const child = spawn(
    process.execPath,
    [
      ...entry,
      '--server',
      broker.url,
      '--unit',
      UNIT,
      '--data-dir',
      join(dir, 'data'),
      '--sink',
      opts.sink(dir),
      '--server-key',
      keys.pemPath,
      '--relay',
      'none',
      ...(opts.args ?? []),
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LOA_SECRET: SECRET } },
  );
  if (child.pid && opts.sched === 'fifo') execFileSync('chrt', ['--fifo', '--pid', '10', String(child.pid)]);
  if (child.pid && opts.sched === 'nice') setPriority(child.pid, -10);
  const lines: string[] = [];
  child.stderr!.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  await waitFor('the agent online', () => server.statuses.some((s) => s.online), 30_000);
  return {
    dir,
    broker,
    server,
    keys,
    child,
    lines,
    publishPlan: (plan) => server.publishPlan(UNIT, keys.sign(plan)),
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await broker.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
