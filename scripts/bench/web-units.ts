// Issue #5's bar "a unit table of 2,000 rows stays responsive", measured in Debian's Chromium on
// the real server: opening the table, a status storm of every unit changing at once (as after a
// broker restart), filtering, searching and turning pages. Status changes enter at the hub — the
// same path the broker's messages take after the bus — so the bench measures the browser, not MQTT.
//   npm run bench -- web-units [units=2000]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from '../../server/src/testing/start-server.js';
// The decorations a bench uses (app.hub, app.firstAdmin).
import type {} from '../../server/src/auth/auth.plugin.js';
import type {} from '../../server/src/services.plugin.js';

const ROOT = resolve(import.meta.dirname, '../..');

function buildWeb(outDir: string): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', outDir, '--emptyOutDir'],
      {
        cwd: join(ROOT, 'web'),
        stdio: 'ignore',
      },
    );
    child.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`vite build exited ${code}`))));
  });
}

export async function main(args: string[]) {
  const count = Number(args[0] ?? 2000);
  const webDir = mkdtempSync(join(tmpdir(), 'loa-bench-web-'));
  await buildWeb(webDir);
  const server = await startServer({ WEB_DIR: webDir });
  const profile = mkdtempSync(join(tmpdir(), 'loa-bench-chromium-'));
  try {
    const ids = Array.from({ length: count }, (_, i) => `cum-${String(i + 1).padStart(4, '0')}`);
    for (let i = 0; i < ids.length; i += 50)
      await Promise.all(
        ids.slice(i, i + 50).map((id) => server.admin.post('/api/units', { id, name: `Cụm loa ${id.slice(4)}` })),
      );

    const context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 800 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(server.base + '/');
    await page.getByLabel('Tên đăng nhập').fill(server.app.firstAdmin!.username);
    await page.getByLabel('Mật khẩu').fill(server.app.firstAdmin!.password);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.getByRole('navigation', { name: 'Mục chính' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Trực tiếp' }).waitFor();
    // Main-thread blocks over 50 ms are what a person feels as a frozen page. Headless Chromium does
    // not report 'longtask' entries, so a 10 ms heartbeat measures how late it runs instead.
    await page.evaluate(() => {
      const w = globalThis as unknown as { longTasks: number[] };
      w.longTasks = [];
      let last = performance.now();
      setInterval(() => {
        const now = performance.now();
        if (now - last > 60) w.longTasks.push(now - last - 10);
        last = now;
      }, 10);
    });
    const longTasks = async () => {
      const all = await page.evaluate(() => (globalThis as unknown as { longTasks: number[] }).longTasks.splice(0));
      return { worst: Math.round(Math.max(0, ...all)), total: Math.round(all.reduce((a, b) => a + b, 0)) };
    };
    const pages = Math.ceil(count / 50);
    const results: Array<{ step: string; ms: number; worstLongTaskMs: number; longTasksMs: number }> = [];
    const step = async (name: string, action: () => Promise<unknown>, done: () => Promise<unknown>) => {
      await longTasks();
      const t0 = Date.now();
      await action();
      await done();
      const ms = Date.now() - t0;
      await page.waitForTimeout(200);
      const lt = await longTasks();
      results.push({ step: name, ms, worstLongTaskMs: lt.worst, longTasksMs: lt.total });
    };

    // Calibration: a deliberate 150 ms block must show as a long task, or the figures below mean nothing.
    await step(
      'calibration: a 150 ms block',
      () =>
        page.evaluate(() => {
          const end = performance.now() + 150;
          while (performance.now() < end);
        }),
      async () => undefined,
    );
    await step(
      `open the table of ${count}`,
      () => page.goto(`${server.base}/#/units`),
      () => page.getByText(`Trang 1/${pages}`).waitFor({ timeout: 60_000 }),
    );
    await step(
      `${count} units come online at once`,
      async () => {
        const at = Date.now();
        for (const unitId of ids) server.app.hub.emit('unit-status', { unitId, online: true, at });
      },
      () => page.getByText(`${count} cụm loa: ${count} trực tuyến, 0 mất kết nối.`).waitFor({ timeout: 60_000 }),
    );
    const half = ids.filter((_, i) => i % 2 === 0);
    await step(
      `${half.length} go offline at once`,
      async () => {
        const at = Date.now();
        for (const unitId of half) server.app.hub.emit('unit-status', { unitId, online: false, at });
      },
      () => page.getByText(`${half.length} mất kết nối.`).waitFor({ timeout: 60_000 }),
    );
    await step(
      'filter: offline only',
      () => page.getByRole('combobox', { name: 'Trạng thái' }).selectOption('offline'),
      () => page.getByText(`Trang 1/${Math.ceil(half.length / 50)}`).waitFor(),
    );
    await step(
      'search one unit by name',
      () => page.getByLabel('Tìm theo tên').pressSequentially(half.at(-1)!.slice(4), { delay: 0 }),
      () =>
        page
          .locator('tr[data-unit]')
          .first()
          .and(page.locator(`tr[data-unit="${half.at(-1)}"]`))
          .waitFor(),
    );
    await page.getByLabel('Tìm theo tên').fill('');
    await page.getByRole('combobox', { name: 'Trạng thái' }).selectOption('all');
    await step(
      'next page',
      () => page.getByRole('button', { name: /Trang sau/ }).click(),
      () => page.getByText(`Trang 2/${pages}`).waitFor(),
    );
    await context.close();

    console.log(`\nUnit table in Chromium, ${count} units (ms; long tasks are main-thread blocks > 50 ms)\n`);
    console.log(`${'step'.padEnd(40)} ${'time'.padStart(8)} ${'worst task'.padStart(11)} ${'all tasks'.padStart(10)}`);
    for (const r of results)
      console.log(
        `${r.step.padEnd(40)} ${String(r.ms).padStart(8)} ${String(r.worstLongTaskMs).padStart(11)} ${String(r.longTasksMs).padStart(10)}`,
      );
    console.log(JSON.stringify({ bench: 'web-units', units: count, steps: results }));
  } finally {
    await server.close();
    rmSync(profile, { recursive: true, force: true });
    rmSync(webDir, { recursive: true, force: true });
  }
}
