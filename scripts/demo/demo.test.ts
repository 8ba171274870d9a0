// `npm run demo` (issue #3): its windows at any hour, past midnight too; its commune cut to a few
// clusters; and one short real run — server, agent processes, a plan built and a bulletin played.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseClock, validateWindows, windowInstants } from '@loa/shared';
import { BULLETINS, shrink } from './commune.js';
import { demoWindows } from './windows.js';

const at = (clock: string) => parseClock(clock)!;

describe('the demo window', () => {
  it.each([
    ['in the afternoon', '14:03:10', '14:03:10', '14:13:10'],
    ['just before midnight, across it', '23:58', '23:58', '00:08'],
    ['at midnight', '00:00', '00:00', '00:10'],
    ['launched at 23:59:30 with a minute of lead', '24:00:30', '00:00:30', '00:10:30'],
  ])('opens %s', (_n, open, start, end) => {
    const seconds = open.startsWith('24') ? 86400 + at(`00${open.slice(2)}`) : at(open);
    const windows = demoWindows(seconds);
    expect(validateWindows(windows)).toBeUndefined();
    expect(windows.find((w) => w.id === 'demo')).toEqual({ id: 'demo', start, end });
    expect(windows.map((w) => w.id)).toEqual(['morning', 'evening', 'demo']);
  });

  it('becomes one with a default window it overlaps', () => {
    expect(demoWindows(at('07:25'))).toEqual([
      { id: 'evening', start: '17:00', end: '19:00' },
      { id: 'demo', start: '05:00', end: '07:35' },
    ]);
    expect(demoWindows(at('16:55'))).toEqual([
      { id: 'morning', start: '05:00', end: '07:30' },
      { id: 'demo', start: '16:55', end: '19:00' },
    ]);
  });

  it('holds ten minutes of airtime across midnight on the day it opens', () => {
    const day = windowInstants(demoWindows(at('23:55')), '2026-03-01', 'Asia/Ho_Chi_Minh');
    const demo = day.find((w) => w.id === 'demo')!;
    expect(demo.endAt - demo.startAt).toBe(10 * 60_000);
  });
});

describe('the demo commune', () => {
  it('has a handful of bulletins of each level', () => {
    for (const level of ['emergency', 'priority', 'ordinary'])
      expect(BULLETINS.filter((b) => b.level === level).length).toBeGreaterThanOrEqual(3);
  });

  it('cut to two clusters, keeps only what reaches them', () => {
    const { units, zones, bulletins } = shrink(2);
    expect(units.map((u) => u.id)).toEqual(['ban-chao-1', 'ban-chao-2']);
    expect(zones.find((z) => z.id === 'vung-cao')!.unitIds).toEqual([]);
    expect(bulletins.map((b) => b.title)).not.toContain('Cảnh báo lũ quét');
    expect(bulletins[0]).toMatchObject({ level: 'emergency', targets: { commune: true } });
    for (const b of bulletins) expect(b.targets.unitIds?.every((id) => id.startsWith('ban-chao')) ?? true).toBe(true);
  });
});

describe('npm run demo', () => {
  it('builds the plan and a cluster plays the first bulletin', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'loa-demo-test-'));
    const root = resolve(import.meta.dirname, '../..');
    // One cluster, two bulletins, the window five seconds after setup: the least that shows it all.
    const demo = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts/demo/main.ts')], {
      cwd: root,
      detached: true, // its own process group: the agents it starts go down with it
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        PORT: '0',
        MQTT_PORT: '0',
        DEMO_UNITS: '1',
        DEMO_BULLETINS: '2',
        DEMO_LEAD_SECONDS: '5',
        DEMO_SECONDS: '100',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    demo.stdout.on('data', (d: Buffer) => (out += d.toString()));
    demo.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await new Promise<void>((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`no bulletin finished in time:\n${out}`)), 85_000);
        demo.stdout.on('data', () => {
          if (/finished\s+Cảnh báo cháy rừng/.test(out)) {
            clearTimeout(timer);
            done();
          }
        });
        demo.once('exit', (code) => fail(new Error(`the demo exited (${code}):\n${out}`)));
      });
      expect(out).toMatch(/plan: {4}[1-9]\d* items on \d{4}-\d\d-\d\d over 1 clusters, 2 bulletins/);
      expect(out).toMatch(/Cụm loa Bản Chao 1\s+playing\s+Cảnh báo cháy rừng/);
      // Ctrl+C stops the server and the clusters cleanly.
      const exited = new Promise<number | null>((r) => demo.once('exit', r));
      process.kill(-demo.pid!, 'SIGINT');
      expect(await exited).toBe(0);
    } finally {
      try {
        process.kill(-demo.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 100_000);
});
