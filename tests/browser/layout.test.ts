// Issue #5's quality bars in a real browser: every screen fits a 360 px phone without sideways
// scrolling, the menu is reachable with the keyboard, text has readable contrast, and the English
// toggle switches the whole page.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openBrowser, screenshot, type Browser } from './support/browser.js';
import { signIn } from './support/page.js';
import { startWorld, windowAroundNow, type World } from './support/world.js';

/** Text whose contrast against the background behind it is under WCAG AA (4.5:1, 3:1 when large). */
function lowContrast(page: Page) {
  return page.evaluate(() => {
    const rgba = (s: string): number[] => (s.match(/[\d.]+/g) ?? []).map(Number);
    const lum = (rgb: number[]) => {
      const f = (c: number) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(rgb[0] ?? 0) + 0.7152 * f(rgb[1] ?? 0) + 0.0722 * f(rgb[2] ?? 0);
    };
    /** The first opaque background behind an element (every colour here is opaque or transparent). */
    const background = (el: Element | null): number[] => {
      for (; el; el = el.parentElement) {
        const c = rgba(getComputedStyle(el).backgroundColor);
        if (c.length === 3 || (c[3] ?? 1) === 1) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const bad: string[] = [];
    for (const el of document.querySelectorAll('body *')) {
      const own = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim());
      const rect = el.getBoundingClientRect();
      if (!own || rect.width === 0 || el.closest('.sr-only, [aria-hidden="true"], option')) continue;
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || Number(style.opacity) < 1 || (el as HTMLButtonElement).disabled) continue;
      const a = lum(rgba(style.color));
      const b = lum(background(el));
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5))
        bad.push(`${el.tagName}.${el.className} "${el.textContent!.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
    }
    return bad;
  });
}

describe('the app on a 360 px phone', () => {
  let world: World;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    world = await startWorld({ roles: ['technician'] });
    await windowAroundNow(world.server);
    await world.server.admin.post('/api/communes/default/villages', { id: 'ban-mong', name: 'Bản Mông' });
    for (let i = 1; i <= 3; i++)
      await world.server.admin.post('/api/units', { id: `cum-${i}`, name: `Cụm loa số ${i}`, villageId: 'ban-mong' });
    browser = await openBrowser({ width: 360, height: 740 });
    page = browser.page;
    // The administrator sees every screen.
    await signIn(page, world.server.base, world.accounts.admin);
  });
  afterEach(async (ctx) => {
    await screenshot(page, `layout-${ctx.task.name}`);
  });
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  const screens: Array<[string, string, string]> = [
    ['dashboard', '#/dashboard', 'Tổng quan'],
    ['units', '#/units', 'Cụm loa'],
    ['unit page', '#/units/cum-1', 'Cụm loa số 1'],
    ['new bulletin', '#/bulletins/new', 'Soạn bản tin'],
    ['schedule', '#/schedule', 'Lịch phát'],
    ['alerts', '#/alerts', 'Cảnh báo'],
    ['reports', '#/reports', 'Nhật ký phát — báo cáo'],
    ['live', '#/live', 'Phát trực tiếp'],
    ['users', '#/users', 'Người dùng'],
    ['settings', '#/settings', 'Cài đặt'],
  ];
  for (const [name, hash, heading] of screens) {
    it(`fits the ${name} screen in 360 px, with readable contrast`, async () => {
      await page.goto(`${world.server.base}/${hash}`);
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await page.waitForTimeout(300); // data lands
      const widths = await page.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        view: window.innerWidth,
      }));
      expect(widths.page, `the page scrolls sideways: ${widths.page} px in ${widths.view}`).toBeLessThanOrEqual(
        widths.view,
      );
      expect(await lowContrast(page)).toEqual([]);
    });
  }

  it('reaches the main menu and the content with the keyboard alone', async () => {
    await page.goto(`${world.server.base}/#/dashboard`);
    await page.getByRole('heading', { name: 'Tổng quan', level: 1 }).waitFor();
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const focused: string[] = [];
    for (let i = 0; i < 15; i++) {
      await page.keyboard.press('Tab');
      focused.push(await page.evaluate(() => document.activeElement?.textContent?.trim() ?? ''));
    }
    expect(focused[0]).toBe('Bỏ qua, tới nội dung chính');
    for (const name of ['Tổng quan', 'Bản tin', 'Phát trực tiếp', 'Lịch phát', 'Cụm loa', 'Người dùng', 'Cài đặt'])
      expect(focused).toContain(name);

    // Enter on a menu entry opens it; the skip button moves the focus to the content.
    while ((await page.evaluate(() => document.activeElement?.textContent?.trim())) !== 'Cụm loa')
      await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Cụm loa', level: 1 }).waitFor();
    await page.keyboard.press('Shift+Tab');
    while ((await page.evaluate(() => document.activeElement?.className)) !== 'skip')
      await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
  });

  it('switches the whole page to English and back', async () => {
    await page.goto(`${world.server.base}/#/units`);
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Units', level: 1 }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual([
      'Overview',
      'Bulletins',
      'Emergency',
      'Live',
      'Schedule',
      'Units',
      'Alerts',
      'Play log',
      'Users',
      'Settings',
    ]);
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    await screenshot(page, 'layout-english-units');
    // Remembered across a reload.
    await page.reload();
    await page.getByRole('heading', { name: 'Units', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Tiếng Việt' }).click();
    await page.getByRole('heading', { name: 'Cụm loa', level: 1 }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('vi');
  });
});
