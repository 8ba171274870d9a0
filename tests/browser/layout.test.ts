// Issue #5's quality bars in a real browser, on screens with content (an approved item on the
// timeline, an alert, an overfull window, a rejected bulletin, commands answered, failed and
// waiting): every screen fits a 360 px phone and a 1366×768 laptop without sideways scrolling, text
// has readable contrast, the menu and a whole task (rejecting a bulletin with a reason) work with
// the keyboard alone, and the English toggle switches the whole page.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import mqtt, { type MqttClient } from 'mqtt';
import { topics, toZoned, weekdayOf } from '@loa/shared';
import { makeTone } from '../support/audio.js';
import { ApiClient } from '../support/server.js';
import { openBrowser, screenshot, type Browser } from './support/browser.js';
import { lowContrast, widths } from './support/layout-checks.js';
import { signIn } from './support/page.js';
import { startWorld, TZ, windowAroundNow, type World } from './support/world.js';

const PHONE = { width: 360, height: 740 };
const LAPTOP = { width: 1366, height: 768 };

describe('the app on a 360 px phone and a laptop, with content', () => {
  let world: World;
  let browser: Browser;
  let page: Page;
  let unit: MqttClient;
  const ids = { approved: '', overfull: '', rejected: '', submitted: '' };

  beforeAll(async () => {
    world = await startWorld({ roles: ['editor'] });
    const { admin } = world.server;
    await windowAroundNow(world.server);
    await admin.post('/api/communes/default/villages', { id: 'ban-mong', name: 'Bản Mông' });
    const first = await admin.post<{ secret: string }>('/api/units', {
      id: 'cum-1',
      name: 'Cụm loa số 1',
      villageId: 'ban-mong',
    });
    for (let i = 2; i <= 3; i++)
      await admin.post('/api/units', { id: `cum-${i}`, name: `Cụm loa số ${i}`, villageId: 'ban-mong' });
    await admin.post('/api/zones', { id: 'khu-cho', name: 'Khu chợ trung tâm', unitIds: ['cum-1', 'cum-2'] });

    // Bulletins in every state a screen shows, written by the editor, judged by the administrator.
    const editor = new ApiClient(world.server.base);
    await editor.login(world.accounts.editor.username, world.accounts.editor.password);
    const media = await editor.upload<{ sha256: string }>(makeTone(mkdtempSync(join(tmpdir(), 'loa-layout-')), 20));
    const today = [weekdayOf(toZoned(Date.now(), TZ).date)];
    const write = async (title: string, body: Record<string, unknown>, then: 'approve' | 'reject' | null) => {
      const b = await editor.post<{ id: string }>('/api/bulletins', {
        title,
        level: 'priority',
        mediaSha256: media.body.sha256,
        targets: { commune: true },
        recurrence: { days: today },
        validFrom: new Date(Date.now() - 60_000).toISOString(),
        validUntil: new Date(Date.now() + 3600_000).toISOString(),
        ...body,
      });
      expect(b.status, JSON.stringify(b.body)).toBe(201);
      expect((await editor.post(`/api/bulletins/${b.body.id}/submit`)).status).toBe(200);
      const reason = then === 'reject' ? { reason: 'Sai ngày họp: sửa thành thứ Bảy tuần này rồi gửi lại.' } : {};
      if (then) expect((await admin.post(`/api/bulletins/${b.body.id}/${then}`, reason)).status).toBe(200);
      return b.body.id;
    };
    ids.approved = await write(
      'Thông báo lịch tiêm phòng cho đàn trâu bò của các hộ',
      { targets: { zoneIds: ['khu-cho'] } },
      'approve',
    );
    ids.overfull = await write('Phòng chống bão', { repeat: { count: 3, gapSeconds: 3600 } }, 'approve');
    ids.rejected = await write('Họp dân cuối năm', {}, 'reject');
    ids.submitted = await write('Thu gom rác thải', {}, null);
    world.server.app.services.alerts.raise('cum-1', 'low-disk', 'The unit is low on disk space: 3% free.');

    // A unit standing in for the board: it carries out the volume, fails the test tone, and leaves
    // the resync unanswered, so the unit page shows every state of a command.
    unit = await mqtt.connectAsync(world.server.mqttUrl, {
      clientId: 'loa-unit-cum-1',
      username: 'cum-1',
      password: first.body.secret,
      reconnectPeriod: 0,
    });
    unit.on('message', (_t, payload) => {
      const cmd = JSON.parse(JSON.parse(payload.toString()).body as string) as { id: string; type: string };
      const ack = cmd.type === 'volume' ? { ok: true } : { ok: false, error: 'the amplifier does not answer' };
      if (cmd.type !== 'resync')
        // Acknowledged and not awaited: an ack that the test's end cuts off is dropped, as a unit's would be.
        unit.publish(topics.cmdAck('cum-1'), JSON.stringify({ id: cmd.id, ...ack }), { qos: 1 }, () => undefined);
    });
    await unit.subscribeAsync(topics.cmd('cum-1'), { qos: 1 });
    await unit.publishAsync(topics.status('cum-1'), JSON.stringify({ online: true, since: Date.now() }), {
      qos: 1,
      retain: true,
    });
    for (const command of [
      { type: 'volume', args: { volume: 65 } },
      { type: 'test-tone', args: { seconds: 3 } },
      { type: 'resync' },
    ])
      expect((await admin.post('/api/units/cum-1/commands', command)).status).toBeLessThan(300);

    browser = await openBrowser(PHONE);
    page = browser.page;
  });
  afterEach(async (ctx) => {
    await screenshot(page, `layout-${ctx.task.name}`);
  });
  afterAll(async () => {
    await unit?.endAsync(true);
    await browser?.close();
    await world?.close();
  });

  /** Checks the page as it is now at both sizes; screenshots the phone one (the laptop's comes after). */
  async function fits(name: string) {
    for (const size of [PHONE, LAPTOP]) {
      await page.setViewportSize(size);
      await page.waitForTimeout(100); // the layout settles
      const w = await widths(page);
      expect(w.page, `${name} at ${size.width} px scrolls sideways: ${w.page} px in ${w.view}`).toBeLessThanOrEqual(
        w.view,
      );
      expect(await lowContrast(page), `${name} at ${size.width} px`).toEqual([]);
      if (size === PHONE) await screenshot(page, `layout-${name}-360`);
    }
  }

  it('fits the sign-in page, then signs in', async () => {
    await page.goto(world.server.base + '/');
    await page.getByRole('heading', { name: 'Đăng nhập' }).waitFor();
    // The tab's icon is served (a missing one was a 404 in the console on every load).
    const icon = await page.locator('link[rel="icon"]').getAttribute('href');
    const served = await page.request.get(new URL(icon!, world.server.base + '/').href);
    expect(served.status()).toBe(200);
    expect(served.headers()['content-type']).toMatch(/^image\/svg\+xml/);
    await fits('sign-in');
    await page.setViewportSize(PHONE);
    await signIn(page, world.server.base, world.accounts.admin);
  });

  // [name, address, heading, what the screen's data shows once it has landed]
  const approvedTitle = 'Thông báo lịch tiêm phòng cho đàn trâu bò của các hộ';
  const screens: Array<[string, () => string, string, string[]]> = [
    ['dashboard', () => '#/dashboard', 'Tổng quan', ['Sắp hết chỗ trên thẻ nhớ', approvedTitle, 'Phòng chống bão']],
    ['units', () => '#/units', 'Cụm loa', ['Cụm loa số 3', 'Trực tuyến']],
    ['unit page', () => '#/units/cum-1', 'Cụm loa số 1', ['đã thực hiện', 'thất bại', 'đang chờ', approvedTitle]],
    ['bulletins', () => '#/bulletins', 'Bản tin', ['Thu gom rác thải', 'Họp dân cuối năm']],
    ['rejected bulletin', () => `#/bulletins/${ids.rejected}`, 'Họp dân cuối năm', ['Bị từ chối vì:']],
    ['approved bulletin', () => `#/bulletins/${ids.approved}`, approvedTitle, ['Khu chợ trung tâm']],
    ['new bulletin', () => '#/bulletins/new', 'Soạn bản tin', ['Tiêu đề']],
    ['schedule', () => '#/schedule', 'Lịch phát', ['Khung giờ đã đầy', approvedTitle]],
    ['alerts', () => '#/alerts', 'Cảnh báo', ['Cụm loa số 1']],
    ['reports', () => '#/reports', 'Nhật ký phát — báo cáo', []],
    ['emergency', () => '#/emergency', 'Phát khẩn cấp', ['Toàn xã']],
    ['live', () => '#/live', 'Phát trực tiếp', ['Hiện không có ai phát trực tiếp.']],
    ['users', () => '#/users', 'Người dùng', ['editor-test']],
    ['settings', () => '#/settings', 'Cài đặt', ['Khu chợ trung tâm']],
  ];
  for (const [name, hash, heading, ready] of screens) {
    it(`fits the ${name} screen in 360 px and at 1366×768, with readable contrast`, async () => {
      await page.setViewportSize(PHONE);
      await page.goto(`${world.server.base}/${hash()}`);
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      for (const text of ready) await page.getByText(text).first().waitFor();
      await page.waitForTimeout(300); // the rest of its data lands
      await fits(name);
    });
  }

  it('rejects a bulletin with a reason using the keyboard alone', async () => {
    await page.setViewportSize(LAPTOP);
    await page.goto(`${world.server.base}/#/bulletins/${ids.submitted}`);
    await page.getByRole('heading', { name: 'Thu gom rác thải', level: 1 }).waitFor();
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
    for (let i = 0; i < 40 && (await focused()) !== 'Từ chối'; i++) await page.keyboard.press('Tab');
    expect(await focused()).toBe('Từ chối');
    await page.keyboard.press('Enter');
    // The reason box takes the focus: the approver types at once.
    await page.waitForFunction(() => (document.activeElement as HTMLTextAreaElement | null)?.name === 'reason', null, {
      timeout: 2000,
    });
    const reason = 'Thiếu giờ thu gom ở thôn Bản Mông: bổ sung rồi gửi lại.';
    await page.keyboard.type(reason);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Từ chối bản tin');
    await page.keyboard.press('Enter');
    await page.locator('.badge', { hasText: 'Bị từ chối' }).waitFor();
    const saved = await world.server.admin.get<{ state: string; rejectedReason: string }>(
      `/api/bulletins/${ids.submitted}`,
    );
    expect(saved.body).toMatchObject({ state: 'rejected', rejectedReason: reason });
  });

  it('reaches the main menu and the content with the keyboard alone', async () => {
    await page.setViewportSize(PHONE);
    await page.goto(`${world.server.base}/#/dashboard`);
    await page.reload(); // a page just opened: the keyboard starts from the top, not from the last screen
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
