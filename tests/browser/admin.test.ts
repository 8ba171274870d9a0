// Issue #5's Người dùng, Cài đặt and Lịch phát screens in a real browser, for an administrator: an
// account made on the page and its first sign-in; a village and a zone whose row then appears on the
// timeline; windows and quiet hours edited, and the commune renamed, with the server's refusals
// explained in Vietnamese.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openBrowser, screenshot, type Browser } from './support/browser.js';
import { signIn, signOut } from './support/page.js';
import { clockIn, startWorld, windowAroundNow, type World } from './support/world.js';

describe('an administrator in the browser', () => {
  let world: World;
  let browser: Browser;
  let page: Page;
  const nav = () => page.getByRole('navigation', { name: 'Mục chính' });

  beforeAll(async () => {
    world = await startWorld({ roles: [] });
    await windowAroundNow(world.server);
    for (const id of ['cum-cho', 'cum-dinh', 'cum-truong'])
      await world.server.admin.post('/api/units', { id, name: `Cụm loa ${id.slice(4)}` });
    browser = await openBrowser();
    page = browser.page;
    await signIn(page, world.server.base, world.accounts.admin);
  });
  afterEach(async (ctx) => {
    await screenshot(page, `admin-${ctx.task.name}`);
  });
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('creates an account whose first sign-in asks for a new password', async () => {
    await nav().getByRole('link', { name: 'Người dùng' }).click();
    const form = page.getByRole('form', { name: 'Thêm người dùng' });
    await form.getByLabel('Tên đăng nhập').fill('bien-tap-xa');
    await form.getByLabel('Vai trò').selectOption('editor');
    await form.getByRole('button', { name: 'Tạo tài khoản' }).click();
    const once = form.getByRole('status').filter({ hasText: 'chỉ hiện một lần' });
    await once.waitFor();
    const password = await once.getByRole('textbox').inputValue();
    expect(password.length).toBeGreaterThanOrEqual(12);
    await page.locator('li[data-user="bien-tap-xa"]').waitFor();

    await signOut(page);
    await page.getByLabel('Tên đăng nhập').fill('bien-tap-xa');
    await page.getByLabel('Mật khẩu').fill(password);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.getByText('Mật khẩu này do quản trị viên đặt').waitFor();
    await page.getByLabel('Mật khẩu hiện tại').fill(password);
    await page.getByLabel(/^Mật khẩu mới/).fill('ngắn');
    await page.getByLabel('Nhập lại mật khẩu mới').fill('ngắn');
    await page.getByRole('button', { name: 'Đổi mật khẩu' }).click();
    // The browser's own check (minlength) or the server's: either way, nothing is changed yet.
    expect(await page.getByRole('navigation', { name: 'Mục chính' }).count()).toBe(0);
    const fresh = 'loa phát thanh xã nhà 2026';
    await page.getByLabel(/^Mật khẩu mới/).fill(fresh);
    await page.getByLabel('Nhập lại mật khẩu mới').fill(fresh);
    await page.getByRole('button', { name: 'Đổi mật khẩu' }).click();
    await page.getByRole('heading', { name: 'Tổng quan', level: 1 }).waitFor();
    expect(await page.locator('.who').textContent()).toContain('Biên tập viên');
    await signOut(page);
    await signIn(page, world.server.base, world.accounts.admin);
  });

  it('adds a village and a zone, and the zone gets its own row on the timeline', async () => {
    await nav().getByRole('link', { name: 'Cài đặt' }).click();
    const villages = page.getByRole('region', { name: /Các thôn của/ });
    await villages.getByLabel('Tên thôn').fill('Thôn Trung Tâm');
    await villages.getByRole('button', { name: 'Thêm thôn' }).click();
    await villages.getByText('Thôn Trung Tâm').waitFor();

    const zones = page.getByRole('region', { name: 'Vùng' });
    await zones.getByRole('button', { name: 'Thêm vùng' }).click();
    await zones.getByLabel('Tên vùng').fill('Khu chợ');
    await zones.getByLabel('Cụm loa cho').check();
    await zones.getByLabel('Cụm loa dinh').check();
    await zones.getByRole('button', { name: 'Lưu' }).click();
    await zones.getByText('Khu chợ').waitFor();
    expect(await zones.getByText('2 cụm loa').count()).toBe(1);

    await nav().getByRole('link', { name: 'Tổng quan' }).click();
    await page.getByRole('region', { name: 'Khu chợ' }).waitFor();
    await page.getByRole('region', { name: 'Cụm loa chưa thuộc vùng nào' }).getByText('1 cụm loa').waitFor();
  });

  it('explains a window reaching into the quiet hours, then saves valid windows and quiet hours', async () => {
    await nav().getByRole('link', { name: 'Lịch phát' }).click();
    const windows = page.getByRole('region', { name: 'Khung giờ phát' });
    const quiet = page.getByRole('region', { name: 'Giờ yên tĩnh' });
    // Times relative to now, so the test window (around now) stays clear of them at any hour.
    const at = (hours: number) => clockIn(hours * 60).slice(0, 5);
    await quiet.getByLabel('Có giờ yên tĩnh').check();
    await quiet.getByLabel('Bắt đầu').fill(at(2));
    await quiet.getByLabel('Kết thúc').fill(at(6));
    await quiet.getByRole('button', { name: 'Lưu giờ yên tĩnh' }).click();
    await quiet.getByRole('status').filter({ hasText: 'Đã lưu' }).waitFor();

    // A window inside the quiet hours: refused, in words, naming the window.
    await windows.getByRole('button', { name: 'Thêm khung giờ' }).click();
    const second = windows.getByRole('group', { name: 'Khung giờ 2' });
    await second.getByLabel('Mã').fill('dem');
    await second.getByLabel('Bắt đầu').fill(at(3));
    await second.getByLabel('Kết thúc').fill(at(3.5));
    await windows.getByRole('button', { name: 'Lưu khung giờ phát' }).click();
    const alert = windows.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Khung giờ phát lấn vào giờ yên tĩnh');
    expect(await alert.textContent()).toContain(`dem (${at(3)}–${at(3.5)})`);

    await second.getByLabel('Bắt đầu').fill(at(7));
    await second.getByLabel('Kết thúc').fill(at(7.5));
    await windows.getByRole('button', { name: 'Lưu khung giờ phát' }).click();
    await windows.getByRole('status').filter({ hasText: 'Đã lưu' }).waitFor();
    const commune = await world.server.admin.get<{
      windows: Array<{ id: string; start: string; end: string }>;
      quietHours: { start: string; end: string };
    }>('/api/communes/default');
    expect(commune.body.windows.find((w) => w.id === 'dem')).toEqual({ id: 'dem', start: at(7), end: at(7.5) });
    expect(commune.body.quietHours).toEqual({ start: at(2), end: at(6) });
  });

  it('renames the commune in the settings, after explaining a time zone that does not exist', async () => {
    await nav().getByRole('link', { name: 'Cài đặt' }).click();
    const communes = page.getByRole('region', { name: 'Các xã' });
    await communes.getByRole('button', { name: 'Sửa Xã mặc định' }).click();
    const form = communes.locator('li form');
    await form.getByLabel('Tên xã').fill('Xã Tú Lệ');
    await form.getByLabel('Múi giờ').fill('Asia/Tu_Le');
    await form.getByRole('button', { name: 'Lưu' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Múi giờ không đúng. Dùng tên như Asia/Ho_Chi_Minh.');
    expect((await world.server.admin.get<{ name: string }>('/api/communes/default')).body.name).toBe('Xã mặc định');

    await form.getByLabel('Múi giờ').fill('Asia/Ho_Chi_Minh');
    await form.getByRole('button', { name: 'Lưu' }).click();
    await communes.getByRole('button', { name: 'Sửa Xã Tú Lệ' }).waitFor();
    // The header names the commune too, without a reload.
    expect(await page.locator('.commune-name').textContent()).toBe('Xã Tú Lệ');
    const saved = await world.server.admin.get<{ name: string; timeZone: string }>('/api/communes/default');
    expect(saved.body).toMatchObject({ name: 'Xã Tú Lệ', timeZone: 'Asia/Ho_Chi_Minh' });
  });
});
