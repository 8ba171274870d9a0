// Issue #5's bar "a unit table of 2,000 rows stays responsive", in the suite: 2,000 units (written
// straight into the database, no agents: only the table is under test) render one page of rows,
// page through, and a unit's status still lands live, within 2 s, among them.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '@loa/shared';
import { openBrowser, screenshot, type Browser } from './support/browser.js';
import { signIn, waitLive } from './support/page.js';
import { startWorld, type World } from './support/world.js';
import type {} from '../../server/src/db/db.plugin.js';

const UNITS = 2000;
const PAGE_SIZE = 50; // web/src/screens/units/UnitTable.tsx

describe('a unit table of 2,000 units', () => {
  let world: World;
  let browser: Browser;
  let page: Page;
  let unit: MqttClient | undefined;
  let secret = '';
  const id = (n: number) => `cum-${String(n).padStart(4, '0')}`;

  beforeAll(async () => {
    world = await startWorld({ roles: [] });
    // One real unit, with a secret the broker knows, first by name; the rest straight into SQLite.
    const first = await world.server.admin.post<{ secret: string }>('/api/units', { id: id(1), name: 'Cụm loa 0001' });
    expect(first.status).toBe(201);
    secret = first.body.secret;
    const now = Date.now();
    const insert = world.server.app.db.prepare(
      `INSERT INTO units (id, commune_id, name, secret_hash, created_at, online, status_since, last_seen)
       VALUES (?, 'default', ?, ?, ?, ?, ?, ?)`,
    );
    world.server.app.db.transaction(() => {
      for (let n = 2; n <= UNITS; n++) {
        const online = n % 3 === 0 ? 1 : 0;
        insert.run(
          id(n),
          `Cụm loa ${String(n).padStart(4, '0')}`,
          randomBytes(32).toString('hex'),
          now,
          online,
          now,
          now,
        );
      }
    })();
    browser = await openBrowser();
    page = browser.page;
    await signIn(page, world.server.base, world.accounts.admin);
  });
  afterEach(async (ctx) => {
    await screenshot(page, `many-units-${ctx.task.name}`);
  });
  afterAll(async () => {
    await unit?.endAsync(true);
    await browser?.close();
    await world?.close();
  });

  const rows = () => page.locator('tr[data-unit]');
  const pager = () => page.getByRole('navigation', { name: 'Trang' });

  it('renders one page of rows and pages through the rest', async () => {
    await page.goto(`${world.server.base}/#/units`);
    await waitLive(page);
    const online = Math.floor(UNITS / 3);
    await page
      .getByRole('status')
      .filter({ hasText: `${UNITS} cụm loa: ${online} trực tuyến, ${UNITS - online} mất kết nối.` })
      .waitFor();
    expect(await rows().count()).toBe(PAGE_SIZE);
    expect(await pager().textContent()).toContain(`Trang 1/${UNITS / PAGE_SIZE} · ${UNITS} cụm loa`);
    expect(await rows().first().getAttribute('data-unit')).toBe(id(1));
    expect(await page.getByRole('button', { name: /Trang trước/ }).isDisabled()).toBe(true);

    await page.getByRole('button', { name: /Trang sau/ }).click();
    await page.locator(`tr[data-unit="${id(PAGE_SIZE + 1)}"]`).waitFor();
    expect(await rows().count()).toBe(PAGE_SIZE);
    expect(await rows().last().getAttribute('data-unit')).toBe(id(2 * PAGE_SIZE));
    expect(page.url()).toContain('page=2');

    // The last page, from the address; then a search narrows the 2,000 to one.
    await page.goto(`${world.server.base}/#/units?page=${UNITS / PAGE_SIZE}`);
    await page.locator(`tr[data-unit="${id(UNITS)}"]`).waitFor();
    expect(await rows().count()).toBe(PAGE_SIZE);
    expect(await page.getByRole('button', { name: /Trang sau/ }).isDisabled()).toBe(true);
    await page.getByLabel('Tìm theo tên').fill('1234');
    await page.locator(`tr[data-unit="${id(1234)}"]`).waitFor();
    expect(await rows().count()).toBe(1);
  });

  it('shows a unit coming online among them within 2 s, without a reload', async () => {
    await page.goto(`${world.server.base}/#/units`);
    await waitLive(page);
    const row = page.locator(`tr[data-unit="${id(1)}"]`);
    await row.locator('.status', { hasText: 'Mất kết nối' }).waitFor();
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));

    unit = await mqtt.connectAsync(world.server.mqttUrl, {
      clientId: `loa-unit-${id(1)}`,
      username: id(1),
      password: secret,
      reconnectPeriod: 0,
    });
    const sentAt = Date.now();
    await unit.publishAsync(topics.status(id(1)), JSON.stringify({ online: true, since: sentAt }), {
      qos: 1,
      retain: true,
    });
    await row.locator('.status', { hasText: 'Trực tuyến' }).waitFor({ timeout: 2000 });
    expect(Date.now() - sentAt).toBeLessThan(2000);
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    expect(await rows().count()).toBe(PAGE_SIZE);
  });
});
