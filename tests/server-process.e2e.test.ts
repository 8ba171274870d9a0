// The README's start command: the server as its own process prints a first admin login once,
// serves the API, and closes cleanly on SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiClient } from './support/server.js';
import { waitFor } from './support/wait.js';

const ROOT = resolve(import.meta.dirname, '..');

/** The server as `node` starts it, or (`npm`) as the server workspace's `npm start` does. */
function startServerProcess(dataDir: string, env: Record<string, string> = {}, how: 'node' | 'npm' = 'node') {
  const [command, args] =
    how === 'node'
      ? [process.execPath, ['--import', 'tsx', join(ROOT, 'server/src/main.ts')]]
      : ['npm', ['run', '--silent', 'start', '-w', 'server']];
  const { MALLOC_ARENA_MAX: _, NODE_OPTIONS: __, ...inherited } = process.env;
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...inherited, DATA_DIR: dataDir, PORT: '0', MQTT_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: how === 'npm', // npm and its shell are stopped with the server, as a group
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

describe('the server process', () => {
  it('prints the first admin login once, serves the API, and exits cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'loa-main-'));
    const first = startServerProcess(dataDir);
    const url = await waitFor(
      'the start banner',
      () => /Loa is running: (http:\/\/localhost:\d+\/)/.exec(first.output())?.[1],
      30_000,
    );
    const password = /with password: (\S+)/.exec(first.output())?.[1];
    expect(password).toBeDefined();
    expect(first.output()).toMatch(/embedded MQTT broker on port \d+/);

    const api = new ApiClient(url.replace(/\/$/, ''));
    expect((await api.get('/api/units')).status).toBe(401);
    expect((await api.post('/api/auth/login', { username: 'admin', password: 'wrong' })).status).toBe(401);
    await api.login('admin', password!);
    expect((await api.get('/api/units')).status).toBe(200);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    // A second start keeps the data and prints no new password.
    const second = startServerProcess(dataDir);
    await waitFor('the second start banner', () => (/Loa is running/.test(second.output()) ? true : undefined), 30_000);
    expect(second.output()).not.toMatch(/password:/);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  }, 60_000);

  it("starts with glibc's arenas and the heap bounded under npm start, and says what to set when started otherwise", async () => {
    const advice = /MALLOC_ARENA_MAX is not set.*MALLOC_ARENA_MAX=2/;
    const heapAdvice = /heap limit is 4\d{3} MB.*NODE_OPTIONS=--max-old-space-size=1024/;
    // Started by hand with a large heap limit (Node's own default on a machine of 16 GB or more).
    const byNode = startServerProcess(mkdtempSync(join(tmpdir(), 'loa-main-')), {
      NODE_OPTIONS: '--max-old-space-size=4096',
    });
    await waitFor('the start banner', () => (/Loa is running/.test(byNode.output()) ? true : undefined), 30_000);
    byNode.child.kill('SIGTERM');
    expect(await byNode.exited).toBe(0);
    // Read once the process has ended: the log's lines may reach the pipe after the banner.
    expect(byNode.output()).toMatch(advice);
    expect(byNode.output()).toMatch(heapAdvice);

    const byNpm = startServerProcess(mkdtempSync(join(tmpdir(), 'loa-main-')), {}, 'npm');
    try {
      await waitFor('the start banner', () => (/Loa is running/.test(byNpm.output()) ? true : undefined), 30_000);
    } finally {
      process.kill(-byNpm.child.pid!, 'SIGTERM'); // npm itself dies of the signal: no exit code to check
      await byNpm.exited;
    }
    expect(byNpm.output()).toMatch(/Loa is running/);
    expect(byNpm.output()).not.toMatch(/MALLOC_ARENA_MAX is not set/);
    expect(byNpm.output()).not.toMatch(/heap limit/); // the advice reads the limit the server runs with
  }, 90_000);

  it('refuses to start with a clear message when the configuration is wrong', async () => {
    const bad = startServerProcess(mkdtempSync(join(tmpdir(), 'loa-main-')), {
      PORT: 'eighty',
      TZ: 'Asia/Ho_Chi_Minh',
    });
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toMatch(/Loa cannot start: PORT must be a whole number/);
  });
});
