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

function startServerProcess(dataDir: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'server/src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, PORT: '0', MQTT_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
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

  it('refuses to start with a clear message when the configuration is wrong', async () => {
    const bad = startServerProcess(mkdtempSync(join(tmpdir(), 'loa-main-')), {
      PORT: 'eighty',
      TZ: 'Asia/Ho_Chi_Minh',
    });
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toMatch(/Loa cannot start: PORT must be a whole number/);
  });
});
