// The amplifier relay on a board's GPIO line through libgpiod's `gpioset`. A GPIO line driven
// through the character device keeps its value only while the process holding it lives, so one
// `gpioset` runs all the time holding the line on or off; a switch replaces it. Its pid is kept in
// the data dir: after a crash (kill -9, no systemd cleanup) the next start kills the orphan before
// setting the relay off (issue 7: never left on after a crash). Wire the relay so that a released
// line (no agent at all) means off.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Relay } from './relay.js';

const run = promisify(execFile);

export interface GpioRelayOptions {
  chip: string;
  line: number;
  activeLow: boolean;
  gpioset: string;
  pidFile: string;
}

/** A `gpioset` that dies this soon after it was started failed to take the line. */
const SETTLE_MS = 150;

export function gpioRelay(opts: GpioRelayOptions): Relay {
  let child: ChildProcess | undefined;
  let value: boolean | undefined;
  let major: 1 | 2 | undefined;
  let cleaned = false;

  const args = (on: boolean): string[] => {
    const low = opts.activeLow ? ['--active-low'] : [];
    const assignment = `${opts.line}=${on ? 1 : 0}`;
    // libgpiod 1.x exits at once unless told to wait; 2.x holds the line until killed.
    return major === 1 ? ['--mode=signal', ...low, opts.chip, assignment] : [...low, '--chip', opts.chip, assignment];
  };

  async function detect(): Promise<void> {
    if (major) return;
    try {
      const { stdout, stderr } = await run(opts.gpioset, ['--version'], { timeout: 5000 });
      major = /v1\.\d/.test(`${stdout}${stderr}`) ? 1 : 2;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new Error(
        e.code === 'ENOENT'
          ? `${opts.gpioset} not found: install it with \`apt-get install gpiod\` or set GPIOSET_PATH`
          : `${opts.gpioset} --version failed: ${e.message}`,
      );
    }
  }

  /** Kills a `gpioset` left by an agent that died without cleaning up. */
  async function killOrphan(): Promise<void> {
    if (cleaned) return;
    cleaned = true;
    const pid = Number((await readFile(opts.pidFile, 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(pid) || pid <= 1) return;
    // Only if that pid is still a gpioset: pids are reused after a reboot.
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes('gpioset')) return;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    for (let i = 0; i < 50 && (await alive(pid)); i++) await sleep(20);
  }

  async function release(): Promise<void> {
    const old = child;
    child = undefined;
    value = undefined;
    if (!old || old.exitCode !== null || old.signalCode !== null) return;
    const exited = new Promise<void>((r) => old.once('exit', () => r()));
    old.kill('SIGTERM');
    await Promise.race([exited, sleep(2000)]);
    if (old.exitCode === null && old.signalCode === null) old.kill('SIGKILL');
  }

  return {
    name: `gpio:${opts.chip}:${opts.line}${opts.activeLow ? ':active-low' : ''}`,
    async set(on) {
      await detect();
      await killOrphan();
      if (value === on && child && child.exitCode === null) return;
      // The old holder must let go first, or the new one finds the line busy.
      await release();
      const next = spawn(opts.gpioset, args(on), { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      next.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-300)));
      const failure = await new Promise<string | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), SETTLE_MS);
        next.once('error', (err) => {
          clearTimeout(timer);
          resolve(err.message);
        });
        next.once('exit', (code, signal) => {
          clearTimeout(timer);
          resolve(`gpioset exited (${signal ?? `code ${code}`})${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
        });
      });
      if (failure) throw new Error(failure);
      child = next;
      value = on;
      if (next.pid) await writeFile(opts.pidFile, String(next.pid)).catch(() => undefined);
    },
    async close() {
      await release();
      await unlink(opts.pidFile).catch(() => undefined);
    },
  };
}

async function alive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
