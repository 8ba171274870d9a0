// Issue #8 in the browser: the approver reads a warning aloud to a zone from the emergency screen.
// The big button only arms a confirm step; nothing is sent until the approver ticks and confirms;
// the units' answers show as they arrive. A viewer has no such screen, and the server refuses one
// sent from the page anyway.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '@loa/shared';
import { openBrowser, screenshot, type Browser } from './support/browser.js';
import { signIn, signOut } from './support/page.js';
import { startWorld, type World } from './support/world.js';
// app.db, for counting what was sent.
import type {} from '../../server/src/db/db.plugin.js';

describe('the emergency screen', () => {
  let world: World;
  let browser: Browser;
  let page: Page;
  let unit: MqttClient;
  const commands: { id: string; type: string; args: Record<string, unknown> }[] = [];
  const emergencies = () => world.server.app.db.prepare('SELECT COUNT(*) AS n FROM emergencies').get() as { n: number };

  beforeAll(async () => {
    world = await startWorld({ roles: ['approver', 'viewer'] });
    const created = await world.server.admin.post<{ secret: string }>('/api/units', {
      id: 'cum-cho',
      name: 'Cụm loa chợ',
    });
    await world.server.admin.post('/api/units', { id: 'cum-nui', name: 'Cụm loa núi' });
    await world.server.admin.post('/api/zones', { id: 'ven-song', name: 'Ven sông', unitIds: ['cum-cho'] });
    // A unit standing in for the board: it answers the command (the agent's side is tested elsewhere).
    unit = await mqtt.connectAsync(world.server.mqttUrl, {
      clientId: 'loa-unit-cum-cho',
      username: 'cum-cho',
      password: created.body.secret,
      reconnectPeriod: 0,
    });
    unit.on('message', (_t, payload) => {
      const body = JSON.parse(JSON.parse(payload.toString()).body as string) as (typeof commands)[number];
      commands.push(body);
      // Acknowledged and not awaited: an ack that the test's end cuts off is dropped, as a unit's would be.
      unit.publish(topics.cmdAck('cum-cho'), JSON.stringify({ id: body.id, ok: true }), { qos: 1 }, () => undefined);
    });
    await unit.subscribeAsync(topics.cmd('cum-cho'), { qos: 1 });
    browser = await openBrowser();
    page = browser.page;
    await signIn(page, world.server.base, world.accounts.approver);
  });
  afterEach(async (ctx) => {
    await screenshot(page, `emergency-${ctx.task.name}`);
  });
  afterAll(async () => {
    await unit?.endAsync(true);
    await browser?.close();
    await world?.close();
  });

  it('reads a text aloud to a zone after the confirm step, and shows the unit’s answer', async () => {
    await page.getByRole('navigation', { name: 'Mục chính' }).getByRole('link', { name: 'Phát khẩn cấp' }).click();
    await page.getByRole('heading', { name: 'Phát khẩn cấp', level: 1 }).waitFor();
    // Nothing chosen: the button says what is missing, sends nothing.
    await page.getByRole('button', { name: 'PHÁT KHẨN CẤP' }).click();
    await page.getByText('Hãy nhập nội dung cần đọc').waitFor();
    await page.getByLabel('Văn bản cần đọc').fill('Khẩn cấp: nước sông đang lên nhanh, bà con tránh xa bờ sông.');
    await page.getByLabel('Toàn xã').uncheck();
    await page.getByLabel('Ven sông').check();
    await page.getByLabel('Số lần phát').fill('2');
    await page.getByRole('button', { name: 'PHÁT KHẨN CẤP' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Xác nhận phát khẩn cấp' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('2 lần');
    // Armed but not confirmed: still nothing sent; "Phát ngay" waits for the tick.
    expect(await dialog.getByRole('button', { name: 'Phát ngay' }).isDisabled()).toBe(true);
    await dialog.getByRole('button', { name: 'Huỷ' }).click();
    expect(await page.getByRole('alertdialog').count()).toBe(0);
    expect(emergencies().n).toBe(0);

    await page.getByRole('button', { name: 'PHÁT KHẨN CẤP' }).click();
    await dialog.getByLabel('Tôi xác nhận phát khẩn cấp ngay bây giờ').check();
    await dialog.getByRole('button', { name: 'Phát ngay' }).click();
    await page.getByRole('heading', { name: /Đã phát khẩn cấp lúc/ }).waitFor({ timeout: 20_000 });
    await page.locator('[data-unit="cum-cho"] .badge', { hasText: 'đang phát' }).waitFor({ timeout: 10_000 });
    expect(emergencies().n).toBe(1);
    expect(commands).toHaveLength(1);
    expect(commands[0]).toMatchObject({ type: 'emergency', args: { repeat: 2, volume: 100 } });
    expect(await page.locator('[data-unit]').count()).toBe(1);

    // A mistake: stopped from the same screen, after the browser's confirm (dismissed first: nothing).
    page.once('dialog', (d) => void d.dismiss());
    await page.getByRole('button', { name: 'Dừng phát khẩn cấp' }).click();
    await new Promise((r) => setTimeout(r, 300));
    expect(commands.filter((c) => c.type === 'stop')).toHaveLength(0);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Dừng phát khẩn cấp' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /Đã dừng lúc/ })
      .waitFor();
    expect(await page.getByRole('button', { name: 'Dừng phát khẩn cấp' }).count()).toBe(0);
    const stop = commands.find((c) => c.type === 'stop');
    expect(stop?.args).toEqual({ emergencyId: commands[0]!.args.emergencyId });
  });

  it('offers live speech as the content, opening the live screen at the emergency level', async () => {
    await page.goto(`${world.server.base}/#/emergency`);
    await page.getByRole('radiogroup', { name: 'Nội dung' }).getByLabel('Nói trực tiếp').check();
    // Repeats, validity and the confirm step are the recorded content's: live has its own screen.
    expect(await page.getByRole('button', { name: 'PHÁT KHẨN CẤP' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Mở phát trực tiếp khẩn cấp' }).click();
    await page.getByRole('heading', { name: 'Phát trực tiếp', level: 1 }).waitFor();
    expect(page.url()).toMatch(/#\/live\?level=emergency$/);
    expect(await page.getByLabel('Phát trực tiếp khẩn cấp').isChecked()).toBe(true);
    // Opened from the menu, the live screen starts at the ordinary level.
    const nav = page.getByRole('navigation', { name: 'Mục chính' });
    await nav.getByRole('link', { name: 'Tổng quan' }).click();
    await nav.getByRole('link', { name: 'Phát trực tiếp' }).click();
    await page.getByRole('heading', { name: 'Phát trực tiếp', level: 1 }).waitFor();
    expect(await page.getByLabel('Phát trực tiếp khẩn cấp').isChecked()).toBe(false);
    expect(emergencies().n).toBe(1);
  });

  it('is not offered to a viewer, and the server refuses one sent from the page anyway', async () => {
    await signOut(page);
    await signIn(page, world.server.base, world.accounts.viewer);
    const nav = page.getByRole('navigation', { name: 'Mục chính' });
    expect(await nav.getByRole('link', { name: 'Phát khẩn cấp' }).count()).toBe(0);
    const res = await page.evaluate(async () => {
      const csrf = /(?:^|;\s*)loa_csrf=([^;]*)/.exec(document.cookie)?.[1] ?? '';
      const r = await fetch('/api/emergency', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': decodeURIComponent(csrf) },
        body: JSON.stringify({
          communeId: 'default',
          content: { ttsText: 'thử' },
          targets: { commune: true },
          repeat: 1,
          volume: 100,
        }),
      });
      return { status: r.status, body: (await r.json()) as { error?: string } };
    });
    expect(res).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect(emergencies().n).toBe(1);
  });
});
