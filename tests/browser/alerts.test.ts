// Issue #9 in a real browser, for the technician: an alert raised by the server's own rules from a
// unit's telemetry over MQTT (a hot board) appears live without a reload, clears, and stays in the
// history, filtered by unit and kind; the technician clears one by hand and it moves to the history
// live; the commune's thresholds and webhook are edited by the technician, the server's refusals
// are shown in words and nothing is half-saved; a viewer only reads.
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { topics } from '@loa/shared';
import { openBrowser, screenshot, type Browser } from './support/browser.js';
import { signIn, signOut, waitLive } from './support/page.js';
import { startWorld, type World } from './support/world.js';

describe('alerts in the browser', () => {
  let world: World;
  let browser: Browser;
  let page: Page;
  const units = new Map<string, MqttClient>();

  const telemetry = (unit: string, sample: Record<string, unknown>) =>
    units
      .get(unit)!
      .publishAsync(topics.telemetry(unit), JSON.stringify({ at: Date.now(), uptimeS: 60, ...sample }), { qos: 0 });
  const settings = async () =>
    (await world.server.admin.get<Record<string, unknown>>('/api/communes/default/alert-settings')).body;

  beforeAll(async () => {
    world = await startWorld({ roles: ['technician', 'viewer'] });
    for (const [id, name] of [
      ['cum-nong', 'Cụm loa Nóng'],
      ['cum-mat', 'Cụm loa Mát'],
    ] as const) {
      const res = await world.server.admin.post<{ secret: string }>('/api/units', { id, name });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      // A board speaking the real protocol to the real broker (its secret, its own topics only).
      units.set(
        id,
        await mqtt.connectAsync(world.server.mqttUrl, {
          clientId: `loa-unit-${id}`,
          username: id,
          password: res.body.secret,
          reconnectPeriod: 0,
        }),
      );
    }
    browser = await openBrowser();
    page = browser.page;
    await signIn(page, world.server.base, world.accounts.technician);
  });
  afterEach(async (ctx) => {
    await screenshot(page, `alerts-${ctx.task.name}`);
  });
  afterAll(async () => {
    await browser?.close();
    for (const c of units.values()) await c.endAsync(true);
    await world?.close();
  });

  const raised = () => page.getByRole('region', { name: /^Đang báo/ });
  const history = () => page.getByRole('region', { name: 'Lịch sử cảnh báo' });

  it('shows a hot board as it is raised, without a reload, and as cleared once it cools', async () => {
    await page.getByRole('navigation', { name: 'Mục chính' }).getByRole('link', { name: 'Cảnh báo' }).click();
    await waitLive(page);
    await raised().getByText('Không có cảnh báo nào đang báo.').waitFor();
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));

    await telemetry('cum-mat', { cpuTempC: 48 });
    await telemetry('cum-nong', { cpuTempC: 82 });
    const line = raised().locator('li', { hasText: 'Bo mạch quá nóng' });
    await line.waitFor();
    expect(await raised().getByRole('heading').textContent()).toBe('Đang báo (1)');
    expect(await line.textContent()).toContain('Cụm loa Nóng');
    expect(await line.textContent()).toContain('82 °C');
    expect(await raised().locator('li').count()).toBe(1);

    await telemetry('cum-nong', { cpuTempC: 55 });
    await raised().getByText('Không có cảnh báo nào đang báo.').waitFor();
    const past = history().locator('li', { hasText: 'Bo mạch quá nóng' });
    await past.locator('.badge', { hasText: 'Đã hết' }).waitFor();
    expect(await past.textContent()).toContain('Hết lúc');
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
  });

  it('filters the history by unit and by kind, and keeps the filters in the address', async () => {
    await telemetry('cum-mat', { underVoltage: true });
    await history().locator('li', { hasText: 'Nguồn điện yếu' }).waitFor();
    await expect.poll(() => history().locator('li').count()).toBe(2);

    await page.getByRole('combobox', { name: 'Loại' }).selectOption('temperature');
    await history().locator('li', { hasText: 'Nguồn điện yếu' }).waitFor({ state: 'detached' });
    await expect.poll(() => history().locator('li').count()).toBe(1);
    expect(page.url()).toContain('kind=temperature');

    await page.getByRole('combobox', { name: 'Loại' }).selectOption('');
    await expect.poll(() => history().locator('li').count()).toBe(2);
    await page.getByRole('combobox', { name: 'Cụm loa' }).selectOption('cum-mat');
    await history().locator('li', { hasText: 'Cụm loa Nóng' }).waitFor({ state: 'detached' });
    await expect.poll(() => history().locator('li').count()).toBe(1);
    expect(await history().locator('li').textContent()).toContain('Cụm loa Mát');

    await page.getByRole('combobox', { name: 'Loại' }).selectOption('low-disk');
    await history().getByText('Không có cảnh báo nào khớp bộ lọc.').waitFor();
    await page.getByRole('combobox', { name: 'Loại' }).selectOption('');
    await page.getByRole('combobox', { name: 'Cụm loa' }).selectOption('');
  });

  it('refuses thresholds the server refuses, in words, and saves nothing of them', async () => {
    const card = page.getByRole('region', { name: 'Ngưỡng cảnh báo của xã' });
    const before = await settings();
    await card.getByLabel('Báo mất kết nối sau (phút)', { exact: true }).fill('10');
    await card.getByLabel(/từ 15 phút trước khung giờ phát/).fill('30');
    await card.getByRole('button', { name: 'Lưu' }).click();
    await card
      .getByRole('alert')
      .getByText(/Ngưỡng gần khung giờ phát phải bằng hoặc nhỏ hơn/)
      .waitFor();
    // The field the server named has the focus, so the technician sees what to fix.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('offlineMinutesNearWindow');
    expect(await settings()).toEqual(before);

    await card.getByLabel(/từ 15 phút trước khung giờ phát/).fill('2');
    await card.getByLabel(/Địa chỉ webhook/).fill('ftp://tinh.example/hook');
    await card.getByRole('button', { name: 'Lưu' }).click();
    await card.getByRole('alert').getByText('Thông tin chưa hợp lệ. Kiểm tra ô được chỉ ra rồi thử lại.').waitFor();
    expect(await card.getByRole('alert').textContent()).toContain('webhookUrl');
    expect(await settings()).toEqual(before);
  });

  it('saves the thresholds and the webhook, and the server applies the new temperature', async () => {
    const card = page.getByRole('region', { name: 'Ngưỡng cảnh báo của xã' });
    await card.getByLabel('Báo mất kết nối sau (phút)', { exact: true }).fill('20');
    await card.getByLabel(/từ 15 phút trước khung giờ phát/).fill('3');
    await card.getByLabel('Báo quá nóng trên (°C)').fill('85');
    expect(await card.getByLabel('Báo đồng hồ lệch quá (giây)').inputValue()).toBe('2');
    await card.getByLabel('Báo đồng hồ lệch quá (giây)').fill('1.5');
    expect(await card.getByLabel('Báo khi thẻ nhớ còn trống dưới (%)').inputValue()).toBe('10');
    await card.getByLabel('Báo khi thẻ nhớ còn trống dưới (%)').fill('15');
    await card.getByLabel(/Địa chỉ webhook/).fill('https://tinh.example/loa-hook');
    await card.getByRole('button', { name: 'Lưu' }).click();
    await card.getByRole('status').getByText('Đã lưu.').waitFor();
    expect(await settings()).toEqual({
      offlineMinutes: 20,
      offlineMinutesNearWindow: 3,
      temperatureC: 85,
      clockOffsetS: 1.5,
      diskFreePercent: 15,
      webhookUrl: 'https://tinh.example/loa-hook',
    });
    // 82 °C was hot at 75 °C; under the new threshold it raises nothing.
    // Both from one connection, so the server handles them in order: once the second shows, the
    // first has been judged.
    await telemetry('cum-nong', { cpuTempC: 82 });
    await telemetry('cum-nong', { underVoltage: true });
    await raised().locator('li', { hasText: 'Nguồn điện yếu' }).filter({ hasText: 'Cụm loa Nóng' }).waitFor();
    expect(await raised().locator('li', { hasText: 'Bo mạch quá nóng' }).count()).toBe(0);
    await telemetry('cum-nong', { cpuTempC: 88 });
    const hot = raised().locator('li', { hasText: 'Bo mạch quá nóng' });
    await hot.waitFor();
    expect(await hot.textContent()).toContain('88 °C (over 85 °C)');

    await page.reload();
    await card.getByLabel('Báo quá nóng trên (°C)').waitFor();
    expect(await card.getByLabel('Báo quá nóng trên (°C)').inputValue()).toBe('85');
    expect(await card.getByLabel('Báo khi thẻ nhớ còn trống dưới (%)').inputValue()).toBe('15');
    expect(await card.getByLabel(/Địa chỉ webhook/).inputValue()).toBe('https://tinh.example/loa-hook');
  });

  it('lets the technician clear an alert by hand: it leaves the raised list, and the history says who', async () => {
    const now = () => raised().locator('li', { hasText: 'Nguồn điện yếu' }).filter({ hasText: 'Cụm loa Mát' });
    await now().waitFor();
    const before = await raised().locator('li').count();
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    await now().getByRole('button', { name: 'Đã xử lý' }).click();
    await now().waitFor({ state: 'detached' });
    expect(await raised().locator('li').count()).toBe(before - 1);
    // The history follows from the live feed alone: it is not reloaded by the click.
    const past = history().locator('li', { hasText: 'Nguồn điện yếu' }).filter({ hasText: 'Cụm loa Mát' });
    await past.getByText(`${world.accounts.technician.username} đánh dấu đã xử lý`).waitFor();
    expect(await past.locator('.badge').textContent()).toBe('Đã hết');
    expect(await past.getByRole('button').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    const audit = await world.server.admin.get<{ entries: Array<{ username: string }> }>(
      '/api/audit?action=alert.clear',
    );
    expect(audit.body.entries.map((e) => e.username)).toEqual([world.accounts.technician.username]);
  });

  it('shows a viewer the alerts and the thresholds, read-only', async () => {
    await signOut(page);
    await signIn(page, world.server.base, world.accounts.viewer);
    await page.goto(`${world.server.base}/#/alerts`);
    // Failed once in a full run (not alone, nor beside two CPU burners): say what the page and the
    // server held, for the next one to read.
    await raised()
      .locator('li', { hasText: 'Bo mạch quá nóng' })
      .waitFor()
      .catch(async (err: Error) => {
        const shown = await page
          .locator('main')
          .textContent({ timeout: 1000 })
          .catch(() => '(no main)');
        const held = await world.server.admin.get('/api/alerts?state=raised');
        throw new Error(
          `${err.message}\nat ${page.url()} the page shows: ${shown}\nthe server holds raised: ${JSON.stringify(held.body)}`,
        );
      });
    // Clearing by hand is alerts:manage: a viewer has no button for it.
    expect(await raised().getByRole('button').count()).toBe(0);
    const card = page.getByRole('region', { name: 'Ngưỡng cảnh báo của xã' });
    await card.getByText('Chỉ kỹ thuật viên hoặc quản trị mới sửa được các ngưỡng này.').waitFor();
    expect(await card.textContent()).toContain('https://tinh.example/loa-hook');
    expect(await card.getByRole('button').count()).toBe(0);
    expect(await card.getByRole('textbox').count()).toBe(0);
  });

  it('fits a 360 px phone', async () => {
    const phone = await openBrowser({ width: 360, height: 740 });
    try {
      await signIn(phone.page, world.server.base, world.accounts.technician);
      await phone.page.goto(`${world.server.base}/#/alerts`);
      await phone.page
        .getByRole('region', { name: /^Đang báo/ })
        .locator('li')
        .first()
        .waitFor();
      await phone.page.getByRole('button', { name: 'Lưu' }).waitFor();
      expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      await screenshot(phone.page, 'alerts-360px');
    } finally {
      await phone.close();
    }
  });
});
