// Issue #4's bad input, as a person would see it: markup in a bulletin title, a unit name and a zone
// name is shown as text on the bulletins, units and overview screens — no script runs, no dialog
// opens, no element is made from it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTone } from '../support/audio.js';
import { openBrowser, screenshot, type Browser } from './support/browser.js';
import { signIn } from './support/page.js';
import { startWorld, windowAroundNow, type World } from './support/world.js';

const TITLE = `Bản tin <script>alert('title')</script><img src=x onerror="alert('title')"> '); DROP TABLE bulletins;--`;
const UNIT = `Cụm <img src=x onerror=alert('unit')> " OR '1'='1`;
const ZONE = `Vùng <svg onload=alert('zone')></svg><b>đậm</b>`;

describe('text that looks like markup, in the browser', () => {
  let world: World;
  let browser: Browser;
  const dialogs: string[] = [];

  beforeAll(async () => {
    world = await startWorld({ roles: [] });
    const { admin } = world.server;
    await windowAroundNow(world.server);
    expect((await admin.post('/api/units', { id: 'cum-doc', name: UNIT })).status).toBe(201);
    expect((await admin.post('/api/zones', { id: 'vung-doc', name: ZONE, unitIds: ['cum-doc'] })).status).toBe(201);
    const media = await admin.upload<{ sha256: string }>(makeTone(mkdtempSync(join(tmpdir(), 'loa-hostile-')), 1));
    const b = await admin.post<{ id: string }>('/api/bulletins', {
      title: TITLE,
      level: 'ordinary',
      mediaSha256: media.body.sha256,
      targets: { zoneIds: ['vung-doc'] },
      recurrence: { days: [0, 1, 2, 3, 4, 5, 6] },
      validFrom: new Date().toISOString(),
      validUntil: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    browser = await openBrowser();
    browser.page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await signIn(browser.page, world.server.base, world.accounts.admin);
  });
  afterAll(async () => {
    if (browser) await screenshot(browser.page, 'hostile-text');
    await browser?.close();
    await world?.close();
  });

  it('shows it literally on the bulletins, units and overview screens, and runs none of it', async () => {
    const { page } = browser;
    const base = world.server.base;
    const screens: Array<[string, string[]]> = [
      ['#/bulletins', [TITLE]],
      ['#/units', [UNIT]],
      ['#/', [ZONE]],
    ];
    for (const [hash, texts] of screens) {
      await page.goto(`${base}/${hash}`);
      for (const text of texts) await page.getByText(text).first().waitFor();
    }
    // The bulletin's own page names its zone too.
    await page.goto(`${base}/#/bulletins`);
    await page.getByRole('link', { name: TITLE }).click();
    await page.getByText(ZONE).first().waitFor();
    expect(await page.locator('img[src="x"], svg[onload], b:text("đậm")').count()).toBe(0);
    expect(dialogs).toEqual([]);
  });
});
