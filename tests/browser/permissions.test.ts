// Issue #5 with issue #4's roles: what a viewer may not do is not shown to them, and when they try
// anyway — a request made from the page with a valid session and CSRF token — the server refuses.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTone } from '../support/audio.js';
import { ApiClient } from '../support/server.js';
import { openBrowser, screenshot, type Browser } from './support/browser.js';
import { signIn } from './support/page.js';
import { startWorld, windowAroundNow, type World } from './support/world.js';

/** A change sent from inside the page exactly as the app sends it (session cookie + CSRF header). */
async function fromPage(page: Page, method: string, path: string, body: unknown) {
  return page.evaluate(
    async ({ method, path, body }) => {
      const csrf = /(?:^|;\s*)loa_csrf=([^;]*)/.exec(document.cookie)?.[1] ?? '';
      const res = await fetch(path, {
        method,
        headers: { 'content-type': 'application/json', 'x-csrf-token': decodeURIComponent(csrf) },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as { error?: string } };
    },
    { method, path, body },
  );
}

describe('a viewer in the browser', () => {
  let world: World;
  let browser: Browser;
  let page: Page;
  let bulletinId: string;
  const nav = () => page.getByRole('navigation', { name: 'Mục chính' });

  beforeAll(async () => {
    world = await startWorld({ roles: ['editor', 'viewer'] });
    await windowAroundNow(world.server);
    await world.server.admin.post('/api/units', { id: 'cum-dinh', name: 'Cụm loa đình' });
    const editor = new ApiClient(world.server.base);
    await editor.login(world.accounts.editor.username, world.accounts.editor.password);
    const media = await editor.upload<{ sha256: string }>(makeTone(mkdtempSync(join(tmpdir(), 'loa-perm-')), 2));
    const b = await editor.post<{ id: string }>('/api/bulletins', {
      title: 'Lịch họp thôn',
      level: 'ordinary',
      mediaSha256: media.body.sha256,
      targets: { commune: true },
      recurrence: { days: [0, 1, 2, 3, 4, 5, 6] },
      validFrom: new Date().toISOString(),
      validUntil: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    bulletinId = b.body.id;
    expect((await editor.post(`/api/bulletins/${bulletinId}/submit`)).status).toBe(200);

    browser = await openBrowser();
    page = browser.page;
    await signIn(page, world.server.base, world.accounts.viewer);
  });
  afterEach(async (ctx) => {
    await screenshot(page, `permissions-${ctx.task.name}`);
  });
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('sees the screens but none of the controls that change anything', async () => {
    expect(await nav().getByRole('link').allTextContents()).toEqual([
      'Tổng quan',
      'Bản tin',
      'Lịch phát',
      'Cụm loa',
      'Cảnh báo',
      'Nhật ký phát',
      'Cài đặt',
    ]);

    await nav().getByRole('link', { name: 'Bản tin' }).click();
    await page.getByRole('link', { name: 'Lịch họp thôn' }).click();
    await page.locator('.badge', { hasText: 'Chờ duyệt' }).waitFor();
    for (const name of ['Phê duyệt', 'Từ chối', 'Gửi duyệt', 'Rút bản tin'])
      expect(await page.getByRole('button', { name }).count(), name).toBe(0);
    await page.goto(`${world.server.base}/#/bulletins`);
    await page.getByRole('heading', { name: 'Bản tin', level: 1 }).waitFor();
    expect(await page.getByRole('link', { name: 'Soạn bản tin' }).count()).toBe(0);

    await nav().getByRole('link', { name: 'Lịch phát' }).click();
    await page.getByRole('heading', { name: 'Khung giờ phát' }).waitFor();
    expect(await page.getByRole('button', { name: 'Lưu khung giờ phát' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Lưu giờ yên tĩnh' }).count()).toBe(0);

    await nav().getByRole('link', { name: 'Cụm loa' }).click();
    expect(await page.getByRole('link', { name: 'Thêm cụm loa' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Cụm loa đình' }).click();
    await page.getByRole('heading', { name: /Lịch phát hôm nay/ }).waitFor();
    expect(await page.getByRole('heading', { name: 'Điều khiển' }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Tên và thôn' }).count()).toBe(0);

    await nav().getByRole('link', { name: 'Cài đặt' }).click();
    await page.getByRole('heading', { name: 'Vùng' }).waitFor();
    expect(await page.getByRole('button', { name: /Thêm/ }).count()).toBe(0);
  });

  it('is told, not shown, a screen they may not open', async () => {
    await page.goto(`${world.server.base}/#/bulletins/new`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Tài khoản của bạn không có quyền làm việc này');
    await page.goto(`${world.server.base}/#/users`);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('heading', { name: 'Người dùng' }).count()).toBe(0);
  });

  it('is refused by the server when approving or changing windows from the page anyway', async () => {
    const approve = await fromPage(page, 'POST', `/api/bulletins/${bulletinId}/approve`, {});
    expect(approve).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    const windows = await fromPage(page, 'PUT', '/api/communes/default/windows', {
      windows: [{ id: 'dem', start: '02:00', end: '04:00' }],
    });
    expect(windows).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    // An API path that does not exist is a 404 in words, not the web app's index page.
    expect(await fromPage(page, 'POST', '/api/no-such-thing', {})).toMatchObject({
      status: 404,
      body: { error: 'not-found' },
    });
    // Nothing changed.
    expect((await world.server.admin.get<{ state: string }>(`/api/bulletins/${bulletinId}`)).body.state).toBe(
      'submitted',
    );
    const commune = await world.server.admin.get<{ windows: Array<{ id: string }> }>('/api/communes/default');
    expect(commune.body.windows.map((w) => w.id)).toEqual(['test']);
  });
});
