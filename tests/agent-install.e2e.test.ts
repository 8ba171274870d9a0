// Issue 7, install and enrollment: the board's install script run against a staging root (DESTDIR)
// with a real enrollment against a running server, then the installed bundle started from the
// files the script wrote, until the server sees the unit online.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './support/server.js';
import { waitFor } from './support/wait.js';

const ROOT = resolve(import.meta.dirname, '..');
const SCRIPT = join(ROOT, 'scripts/install/install.sh');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'agent/package.json'), 'utf8')) as { version: string }).version;

/** Runs the script without blocking this process: the server under test answers in it. */
function install(
  args: string[],
  env: Record<string, string>,
  asUser?: number,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const command = asUser === undefined ? 'bash' : 'setpriv';
  const prefix = asUser === undefined ? [] : [`--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups', 'bash'];
  const child = spawn(command, [...prefix, SCRIPT, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((r) => child.once('close', (status) => r({ status, stdout, stderr })));
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('scripts/install/install.sh', () => {
  let server: TestServer;
  const dest = mkdtempSync(join(tmpdir(), 'loa-root-'));
  const work = mkdtempSync(join(tmpdir(), 'loa-install-'));
  let token: string;

  beforeAll(async () => {
    server = await startServer();
    const made = await server.admin.post<{ token: string }>('/api/enrollment-tokens', {
      unitId: 'thon-lap-dat',
      name: 'Thôn Lắp Đặt',
    });
    expect(made.status).toBe(201);
    token = made.body.token;
  });
  afterAll(() => server?.close());

  it('installs the agent, its config, a systemd unit and a reboot rule, and enrolls the board', async () => {
    // The staging root's system has a gpio group, as Raspberry Pi OS does.
    mkdirSync(join(dest, 'etc'));
    writeFileSync(join(dest, 'etc/group'), 'root:x:0:\naudio:x:29:\ngpio:x:997:\n');
    const r = await install(
      ['--server', server.base, '--sink', 'alsa:hw:1,0', '--relay', 'gpio:gpiochip0:17:active-low'],
      {
        DESTDIR: dest,
        LOA_ENROLL_TOKEN: token,
      },
    );
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('enrolled as unit thon-lap-dat');
    expect(r.stdout + r.stderr).not.toContain(token);

    expect(mode(join(dest, 'opt/loa-agent/loa-agent.mjs'))).toBe(0o644);
    expect(readFileSync(join(dest, 'opt/loa-agent/VERSION'), 'utf8').trim()).toBe(VERSION);
    expect(readFileSync(join(dest, 'usr/local/bin/loa-agent'), 'utf8')).toContain(
      'exec /usr/bin/node /opt/loa-agent/loa-agent.mjs "$@"',
    );

    const config = JSON.parse(readFileSync(join(dest, 'etc/loa-agent/config.json'), 'utf8')) as Record<string, unknown>;
    expect(mode(join(dest, 'etc/loa-agent/config.json'))).toBe(0o600);
    expect(mode(join(dest, 'etc/loa-agent/server-key.pem'))).toBe(0o600);
    expect(config).toEqual({
      version: 1,
      dataDir: '/var/lib/loa-agent',
      sink: 'alsa:hw:1,0',
      relay: 'gpio:gpiochip0:17:active-low',
      telemetryIntervalS: 30,
      rebootCommand: 'sudo -n /usr/bin/systemctl reboot',
      server: server.mqttUrl,
      unit: 'thon-lap-dat',
      secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      serverKey: '/etc/loa-agent/server-key.pem',
    });
    expect(readFileSync(join(dest, 'etc/loa-agent/server-key.pem'), 'utf8')).toBe(server.app.signer.publicKeyPem);
    expect(mode(join(dest, 'var/lib/loa-agent'))).toBe(0o750);

    const unit = readFileSync(join(dest, 'etc/systemd/system/loa-agent.service'), 'utf8');
    for (const line of [
      'ExecStart=/usr/bin/node /opt/loa-agent/loa-agent.mjs --config /etc/loa-agent/config.json',
      'Restart=always',
      'StartLimitIntervalSec=0',
      'StandardOutput=journal',
      'StandardError=journal',
      'SyslogIdentifier=loa-agent',
      'User=loa-agent',
      'SupplementaryGroups=audio gpio',
      'CPUSchedulingPolicy=fifo',
      'CPUSchedulingPriority=10',
      'WantedBy=multi-user.target',
    ])
      expect(unit).toContain(line);
    const verify = spawnSync('systemd-analyze', ['verify', join(dest, 'etc/systemd/system/loa-agent.service')], {
      encoding: 'utf8',
    });
    expect(verify.status, verify.stderr).toBe(0);

    expect(readFileSync(join(dest, 'etc/sudoers.d/loa-agent'), 'utf8')).toBe(
      'loa-agent ALL=(root) NOPASSWD: /usr/bin/systemctl reboot\n',
    );
    expect(mode(join(dest, 'etc/sudoers.d/loa-agent'))).toBe(0o440);
  }, 60_000);

  it('starts from the installed files and reaches the server', async () => {
    // The installed bundle and config, with only the paths of the staging root put back.
    const dataDir = join(work, 'data');
    const child = spawn(
      process.execPath,
      [
        join(dest, 'opt/loa-agent/loa-agent.mjs'),
        '--config',
        join(dest, 'etc/loa-agent/config.json'),
        '--server-key',
        join(dest, 'etc/loa-agent/server-key.pem'),
        '--data-dir',
        dataDir,
        '--sink',
        'null',
        '--relay',
        `file:${join(work, 'relay.jsonl')}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const unit = await waitFor('the installed unit online', async () => {
        const res = await server.admin.get<{ online: boolean; agentVersion: string }>('/api/units/thon-lap-dat');
        return res.body.online ? res.body : undefined;
      });
      expect(unit.agentVersion).toBe(VERSION);
      expect(out).toContain('agent:mqtt connected to mqtt://');
      const { secret } = JSON.parse(readFileSync(join(dest, 'etc/loa-agent/config.json'), 'utf8')) as {
        secret: string;
      };
      expect(out).not.toContain(secret);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    expect(readdirSync(dataDir)).toEqual(expect.arrayContaining(['cache', 'plan.json']));
  }, 30_000);

  it('refuses a used token without touching the installed identity, nor its settings', async () => {
    const before = readFileSync(join(dest, 'etc/loa-agent/config.json'), 'utf8');
    const r = await install(
      [
        ...['--server', server.base, '--bundle', join(dest, 'opt/loa-agent/loa-agent.mjs')],
        ...['--sink', 'alsa:hw:2', '--relay', 'none'],
      ],
      { DESTDIR: dest, LOA_ENROLL_TOKEN: token },
    );
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout, r.stderr).toContain(
      'enrollment failed: the server refused the enrollment (HTTP 401): This enrollment token is unknown, expired or already used.',
    );
    expect(r.stderr).toContain('loa-agent install: enrollment failed (see above); nothing was started');
    // The flags that differ from the config kept are said not to apply.
    for (const [key, had, asked] of [
      ['sink', 'alsa:hw:1,0', 'alsa:hw:2'],
      ['relay', 'gpio:gpiochip0:17:active-low', 'none'],
    ])
      expect(r.stderr).toContain(
        `loa-agent install: warning: /etc/loa-agent/config.json already has "${key}": "${had}"; --${key} ${asked} is not applied (edit that file to change it)`,
      );
    expect(readFileSync(join(dest, 'etc/loa-agent/config.json'), 'utf8')).toBe(before);
  }, 30_000);

  it('explains what is wrong: no token, a bad relay, an unreachable server, not root', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'loa-root-'));
    expect((await install(['--server', server.base], { DESTDIR: empty, LOA_ENROLL_TOKEN: '' })).status).toBe(2);
    const relay = await install(['--server', server.base, '--token', 't', '--relay', 'gpio17'], { DESTDIR: empty });
    expect(relay.status).toBe(1);
    expect(relay.stderr).toContain('--relay must be none, gpio:CHIP:LINE[:active-low] or file:PATH (got gpio17)');
    expect(readdirSync(empty)).toEqual([]);
    const away = await install(
      [
        ...['--server', 'http://127.0.0.1:9', '--token', 't', '--bundle', join(dest, 'opt/loa-agent/loa-agent.mjs')],
        ...['--relay', 'gpio:gpiochip0:17'],
      ],
      { DESTDIR: empty },
    );
    expect(away.status).toBe(1);
    expect(away.stdout).toMatch(/enrollment failed: cannot reach http:\/\/127\.0\.0\.1:9\/api\/enroll/);
    // A system with no gpio group: a unit naming it would never start (216/GROUP).
    const unit = readFileSync(join(empty, 'etc/systemd/system/loa-agent.service'), 'utf8');
    expect(unit).toMatch(/^SupplementaryGroups=audio$/m);
    expect(away.stderr).toContain('loa-agent install: warning: no gpio group on this system');
    if (process.getuid?.() === 0) {
      const user = await install(['--server', server.base, '--token', 't'], {}, 65534);
      expect(user.status).toBe(1);
      expect(user.stderr).toContain('run it as root (sudo ./install.sh …): it installs a system service');
    }
  }, 60_000);
});
