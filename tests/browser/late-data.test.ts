// Data that lands while a screen is being shown (web/src/lib/store.ts). Each screen is its own
// chunk, loaded when first shown; it reads the stores when it renders and subscribes in an effect
// that runs after the next frame. On a busy machine the communes list could arrive in between, and
// the units screen said "Loading…" until something else made it render (the layout test's reload,
// failed twice in full runs: the screenshot and page log beside it showed the screen so). Here the
// page's frames are held, as a busy machine's are late (requestAnimationFrame never fires, so Preact
// runs effects on its 100-ms fallback), and the communes list is answered just after the units
// screen's code has arrived. Without the store's fix this fails every time.
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openBrowser, screenshot, type Browser } from './support/browser.js';
import { signIn } from './support/page.js';
import { startWorld, type World } from './support/world.js';

describe('a screen shown while its data lands', () => {
  let world: World;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    world = await startWorld();
    await world.server.admin.post('/api/units', { id: 'cum-cho', name: 'Cụm loa chợ' });
    browser = await openBrowser();
    page = browser.page;
    await signIn(page, world.server.base, world.accounts.admin);
  });
  afterEach(async (ctx) => {
    await screenshot(page, `late-data-${ctx.task.name}`);
  });
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('shows the data that arrived before it subscribed, not "Loading…" for ever', async () => {
    await page.addInitScript(() => {
      window.requestAnimationFrame = () => 0;
    });
    // The communes list waits until the units screen's code has arrived (its module then
    // runs and the screen renders, reading no commune yet), then is answered before the screen's
    // effects run on the 100-ms fallback.
    const screenArrived = () =>
      page.evaluate(() =>
        performance
          .getEntriesByType('resource')
          .some((e) => /\/assets\/units-[^/]*\.js$/.test(e.name) && (e as PerformanceResourceTiming).responseEnd > 0),
      );
    await page.route(/\/api\/communes$/, async (route) => {
      const deadline = Date.now() + 10_000;
      while (!(await screenArrived().catch(() => false)) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 40));
      await route.continue();
    });
    await page.goto(`${world.server.base}/#/units`);
    await page.reload(); // a fresh page: no screen chunk loaded yet, no communes
    await page.getByRole('heading', { name: 'Cụm loa', level: 1 }).waitFor({ timeout: 10_000 });
    await page.getByText('Cụm loa chợ').waitFor({ timeout: 10_000 });
  });
});
