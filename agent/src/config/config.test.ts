import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseSink } from './config.js';

const required = [
  '--server',
  'mqtt://127.0.0.1:1883',
  '--unit',
  'thon-a',
  '--secret',
  'pw',
  '--server-key',
  '/etc/loa/server.pem',
];

describe('loadConfig', () => {
  it('fills defaults, and takes each option from the environment too', () => {
    const r = loadConfig([], {
      LOA_SERVER: 'mqtt://h:1883',
      LOA_UNIT: 'thon-a',
      LOA_SECRET: 'pw',
      LOA_SERVER_KEY: '/k.pem',
      LOA_DATA_DIR: '/d',
      LOA_SINK: 'null',
      LOA_TELEMETRY_INTERVAL: '15',
      LOA_RELAY: 'gpio:gpiochip0:17:active-low',
      LOA_WARMUP_MS: '5000',
      LOA_REBOOT_COMMAND: '/sbin/reboot',
      LOA_CACHE_QUOTA_MB: '512',
      LOA_LOW_DISK_MB: '50',
    });
    expect(r).toEqual({
      ok: true,
      config: {
        version: 1,
        server: 'mqtt://h:1883',
        unit: 'thon-a',
        secret: 'pw',
        serverKey: '/k.pem',
        dataDir: '/d',
        sink: 'null',
        telemetryIntervalS: 15,
        relay: 'gpio:gpiochip0:17:active-low',
        warmupMs: 5000,
        rebootCommand: '/sbin/reboot',
        cacheQuotaMb: 512,
        lowDiskMb: 50,
      },
    });
    const d = loadConfig(required, {});
    expect(d.ok && d.config).toMatchObject({
      dataDir: '/var/lib/loa-agent',
      sink: 'alsa',
      telemetryIntervalS: 30,
      relay: 'none',
      warmupMs: 3000,
      rebootCommand: 'sudo -n /usr/bin/systemctl reboot',
      cacheQuotaMb: 1024,
      lowDiskMb: 200,
    });
  });

  it('takes a secret that starts with a dash, as getopt would', () => {
    const r = loadConfig([...required, '--secret', '-Ab_9-x'], {});
    expect(r.ok && r.config.secret).toBe('-Ab_9-x');
  });

  it('lets a flag win over the environment', () => {
    const r = loadConfig([...required, '--sink', 'file:/tmp/s'], { LOA_SINK: 'null' });
    expect(r.ok && r.config.sink).toBe('file:/tmp/s');
  });

  it('names every problem by its flag and variable, and never echoes the secret', () => {
    const r = loadConfig(['--unit', 'Thôn A', '--sink', 'speaker', '--telemetry-interval', 'often'], {
      LOA_SECRET: '',
    });
    expect(r.ok).toBe(false);
    if (r.ok || r.help) return;
    expect(r.error.problems).toEqual([
      '--server (LOA_SERVER) is required: a broker URL such as mqtt://host:1883',
      "--secret (LOA_SECRET) is required: the unit's MQTT password",
      "--server-key (LOA_SERVER_KEY) is required: a PEM file with the server's Ed25519 public key",
      '--unit (LOA_UNIT) must be the unit id, 3–64 of a-z 0-9 - (got "Thôn A")',
      '--sink (LOA_SINK) must be null, file:DIR, alsa or alsa:DEVICE (got "speaker")',
      '--telemetry-interval (LOA_TELEMETRY_INTERVAL) must be seconds, 1–3600 (got "often")',
    ]);
  });

  it('reads a versioned config file, and refuses a version it does not know', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'loa-cfg-'));
    const file = join(dir, 'agent.json');
    await writeFile(
      file,
      JSON.stringify({ version: 1, server: 'mqtts://loa.example:8883', unit: 'thon-b', serverKey: '/k.pem' }),
    );
    const r = loadConfig(['--config', file], { LOA_SECRET: 'pw' });
    expect(r.ok && r.config).toMatchObject({ server: 'mqtts://loa.example:8883', unit: 'thon-b', secret: 'pw' });
    await writeFile(
      file,
      JSON.stringify({ version: 7, server: 'mqtt://h', unit: 'thon-b', serverKey: '/k.pem', secret: 'x' }),
    );
    const old = loadConfig(['--config', file], {});
    expect(!old.ok && !old.help && old.error.problems).toEqual([
      'config version 7 is not one this agent understands (1)',
    ]);
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a relay, warm-up and quota it cannot use, by flag', () => {
    const r = loadConfig([...required, '--relay', 'gpio17', '--warmup-ms', '99999', '--cache-quota-mb', '2'], {});
    expect(!r.ok && !r.help && r.error.problems).toEqual(
      expect.arrayContaining([
        '--relay (LOA_RELAY) must be none, file:PATH or gpio:CHIP:LINE[:active-low] (got "gpio17")',
        '--warmup-ms (LOA_WARMUP_MS) must be milliseconds, 0–60000 (got 99999)',
        '--cache-quota-mb (LOA_CACHE_QUOTA_MB) must be megabytes, 16 or more (got 2)',
      ]),
    );
  });

  it('reports an unknown flag and answers --help', () => {
    const r = loadConfig(['--speaker', 'x'], {});
    expect(!r.ok && !r.help && r.error.problems[0]).toMatch(/Unknown option '--speaker'/);
    expect(loadConfig(['--help'], {})).toEqual({ ok: false, help: true });
  });
});

describe('parseSink', () => {
  it('knows null, file:DIR and alsa[:device]', () => {
    expect(parseSink('null')).toEqual({ kind: 'null' });
    expect(parseSink('file:/var/tmp/s')).toEqual({ kind: 'file', dir: '/var/tmp/s' });
    expect(parseSink('alsa')).toEqual({ kind: 'alsa', device: 'default' });
    expect(parseSink('alsa:hw:1,0')).toEqual({ kind: 'alsa', device: 'hw:1,0' });
  });
});
