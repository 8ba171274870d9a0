// Issue #9 in a real browser: the as-run report (nhật ký phát) a commune sends upward. Real play-log
// rows: one unit is a real agent process that plays the bulletin through its (null) sink; one is a
// plain MQTT client speaking the real protocol that reports the item failed; one never reports.
// The page shows planned against aired, what failed and why and the units that missed the window
// (and which window), downloads the server's CSV and opens its printable page.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { topics, toZoned, weekdayOf } from '@loa/shared';
import { makeTone } from '../support/audio.js';
import { startAgent, type AgentProcess } from '../support/agent.js';
import { ApiClient } from '../support/server.js';
import { waitFor } from '../support/wait.js';
import { openBrowser, screenshot, type Browser } from './support/browser.js';
import { signIn } from './support/page.js';
import { clockIn, startWorld, TZ, windowAroundNow, type World } from './support/world.js';

describe('as-run reports in the browser', () => {
  let world: World;
  let browser: Browser;
  let page: Page;
  let agent: AgentProcess | undefined;
  let failing: MqttClient | undefined;
  const work = mkdtempSync(join(tmpdir(), 'loa-browser-reports-'));
  const today = toZoned(Date.now(), TZ).date;
  const REASON = 'ALSA: thiết bị âm thanh đang bận';
  /** The window instance the bulletin was planned in, as the report names it: '2026-12-02 09:10–10:15'. */
  let windowLabel = '';

  beforeAll(async () => {
    world = await startWorld({ roles: ['editor', 'approver', 'viewer'] });
    const { admin } = world.server;
    const opened = Date.now();
    const { start, end } = await windowAroundNow(world.server);
    // The window opened 5 minutes before now: its instance carries the date it started on.
    windowLabel = `${toZoned(opened - 5 * 60_000, TZ).date} ${start}–${end}`;
    const secrets = new Map<string, { secret: string; serverPublicKey: string }>();
    for (const [id, name] of [
      ['cum-dong', 'Cụm loa Đồng'],
      ['cum-doi', 'Cụm loa Đồi'],
      ['cum-xa', 'Cụm loa Xa'],
    ] as const) {
      const res = await admin.post<{ secret: string; serverPublicKey: string }>('/api/units', { id, name });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      secrets.set(id, res.body);
    }
    expect((await admin.post('/api/zones', { id: 'cho', name: 'Vùng chợ', unitIds: ['cum-dong'] })).status).toBe(201);
    agent = startAgent({
      mqttUrl: world.server.mqttUrl,
      unit: 'cum-dong',
      secret: secrets.get('cum-dong')!.secret,
      serverKeyPem: secrets.get('cum-dong')!.serverPublicKey,
    });
    failing = await mqtt.connectAsync(world.server.mqttUrl, {
      clientId: 'loa-unit-cum-doi',
      username: 'cum-doi',
      password: secrets.get('cum-doi')!.secret,
      reconnectPeriod: 0,
    });
    await waitFor('cum-dong online', async () =>
      (await admin.get<{ online: boolean }>('/api/units/cum-dong')).body.online ? true : undefined,
    );

    // Written by an editor, approved by an approver (DESIGN §7), for all three units in ~20 s.
    const editor = new ApiClient(world.server.base);
    await editor.login(world.accounts.editor.username, world.accounts.editor.password);
    const approver = new ApiClient(world.server.base);
    await approver.login(world.accounts.approver.username, world.accounts.approver.password);
    const media = await editor.upload<{ sha256: string }>(makeTone(work, 12, 'tiem-phong.mp3'));
    expect(media.status).toBe(201);
    const b = await editor.post<{ id: string }>('/api/bulletins', {
      title: 'Thông báo tiêm phòng',
      level: 'ordinary',
      mediaSha256: media.body.sha256,
      targets: { unitIds: ['cum-dong', 'cum-doi', 'cum-xa'] },
      recurrence: { days: [weekdayOf(today)], pinnedTimes: [clockIn(0.34)] },
      validFrom: new Date(Date.now() - 60_000).toISOString(),
      validUntil: new Date(Date.now() + 3600_000).toISOString(),
    });
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    expect((await editor.post(`/api/bulletins/${b.body.id}/submit`)).status).toBe(200);
    expect((await approver.post(`/api/bulletins/${b.body.id}/approve`)).status).toBe(200);

    // cum-doi reports, over MQTT, that its item failed (as an agent with a busy sound card would).
    const item = await waitFor('the plan of cum-doi', async () => {
      const plan = await admin.get<{ items: Array<{ id: string; bulletinId: string; startAt: number }> }>(
        `/api/units/cum-doi/plan?date=${today}`,
      );
      return plan.body.items?.find((i) => i.bulletinId === b.body.id);
    });
    const acked = new Promise<void>((resolve) => failing!.on('message', () => resolve()));
    await failing.subscribeAsync(topics.eventsAck('cum-doi'), { qos: 1 });
    await failing.publishAsync(
      topics.events('cum-doi'),
      JSON.stringify({
        events: [
          {
            seq: 1,
            at: item.startAt,
            type: 'failed',
            itemId: item.id,
            bulletinId: b.body.id,
            scheduledAt: item.startAt,
            durationMs: 0,
            reason: REASON,
          },
        ],
      }),
      { qos: 1 },
    );
    await acked;
    // cum-dong really plays it: wait for its own report of a finished item.
    await waitFor(
      'cum-dong aired the bulletin',
      async () => {
        const log = await admin.get<{ entries: Array<{ outcome: string }> }>(`/api/units/cum-dong/play-log?limit=10`);
        return log.body.entries?.some((e) => e.outcome === 'finished') ? true : undefined;
      },
      60_000,
    );
    browser = await openBrowser();
    page = browser.page;
    await signIn(page, world.server.base, world.accounts.viewer);
  }, 120_000);
  afterEach(async (ctx) => {
    if (page) await screenshot(page, `reports-${ctx.task.name}`);
  });
  afterAll(async () => {
    await browser?.close();
    await failing?.endAsync(true);
    await agent?.kill('SIGKILL');
    await world?.close();
  });

  const group = (key: string) => page.locator(`tr[data-group="${key}"]`);

  it('shows this month, day by day: planned against aired, why it failed, who missed the window', async () => {
    await page.getByRole('navigation', { name: 'Mục chính' }).getByRole('link', { name: 'Nhật ký phát' }).click();
    await page.getByRole('heading', { name: 'Nhật ký phát — báo cáo', level: 1 }).waitFor();
    expect(await page.getByLabel('Tháng').inputValue()).toBe(today.slice(0, 7));
    const row = group(today);
    await row.waitFor();
    expect(await page.locator('tr[data-group]').count()).toBe(1);
    expect(await row.getByRole('cell').nth(0).textContent()).toMatch(/^3 lần · \d/); // planned
    expect(await row.getByRole('cell').nth(1).textContent()).toMatch(/^1 lần · \d/); // aired
    expect(await row.getByRole('cell').nth(2).textContent()).toBe('2 lần');
    const reasons = row.getByRole('cell').nth(3);
    expect(await reasons.textContent()).toContain(`Lỗi: ${REASON} ×1`);
    expect(await reasons.textContent()).toContain('cụm loa không báo về ×1');
    // Who missed which window: the failed unit and the silent one, each with the window instance.
    expect(await row.getByRole('cell').nth(4).locator('li').allTextContents()).toEqual([
      `Cụm loa Đồi: ${windowLabel}`,
      `Cụm loa Xa: ${windowLabel}`,
    ]);
    expect(await page.getByTestId('report-summary').textContent()).toMatch(/^Đã phát 1\/3 lần theo lịch/);
  });

  it('groups by unit and by zone', async () => {
    await page.getByRole('combobox', { name: 'Nhóm theo' }).selectOption('unit');
    await group('cum-dong').waitFor();
    expect(await page.locator('tr[data-group]').count()).toBe(3);
    expect(await group('cum-dong').getByRole('cell').nth(2).textContent()).toBe('—');
    // A 12 s bulletin: 0.2 minutes planned and, as the agent reported its real duration, aired.
    expect(await group('cum-dong').getByRole('cell').nth(0).textContent()).toBe('1 lần · 0,2 phút');
    expect(await group('cum-dong').getByRole('cell').nth(1).textContent()).toBe('1 lần · 0,2 phút');
    expect(await group('cum-doi').getByRole('cell').nth(3).textContent()).toContain(REASON);
    expect(await group('cum-xa').getByRole('cell').nth(4).textContent()).toBe(`Cụm loa Xa: ${windowLabel}`);
    expect(await group('cum-dong').getByRole('cell').nth(4).textContent()).toBe('—');
    expect(page.url()).toContain('groupBy=unit');

    await page.getByRole('combobox', { name: 'Nhóm theo' }).selectOption('zone');
    await group('cho').waitFor();
    expect(await group('cho').getByRole('rowheader').textContent()).toBe('Vùng chợ');
    expect(await group('-').getByRole('rowheader').textContent()).toBe('(không thuộc vùng nào)');
    expect(await group('-').getByRole('cell').nth(0).textContent()).toMatch(/^2 lần/);
  });

  it('reports one day, and says so when a period had nothing planned', async () => {
    await page.getByRole('combobox', { name: 'Kỳ báo cáo' }).selectOption('day');
    await page.getByRole('combobox', { name: 'Nhóm theo' }).selectOption('bulletin');
    expect(await page.getByLabel('Ngày', { exact: true }).inputValue()).toBe(today);
    const row = page.locator('tr[data-group]');
    await row.getByRole('rowheader', { name: 'Thông báo tiêm phòng' }).waitFor();
    expect(await row.getByRole('cell').nth(1).textContent()).toMatch(/^1 lần/);

    // The same day a year earlier: nothing planned, and the page says so rather than show zeros.
    await page.getByLabel('Ngày', { exact: true }).fill(`${Number(today.slice(0, 4)) - 1}${today.slice(4)}`);
    await page.getByText('Không có bản tin nào theo lịch trong kỳ này.').waitFor();
    expect(await page.locator('tr[data-group]').count()).toBe(0);
    await page.getByLabel('Ngày', { exact: true }).fill(today);
    await page.locator('tr[data-group]').first().waitFor();
  });

  it("downloads the server's CSV with a BOM, so Excel shows Vietnamese", async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: /Tải tệp CSV/ }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`loa-nhat-ky-phat-${today}-bulletin.csv`);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    expect(csv).toContain('Cụm loa lỡ khung giờ');
    expect(csv).toContain('Thông báo tiêm phòng,3,');
    expect(csv).toContain(REASON);
    expect(csv).toContain(`Cụm loa Xa (${windowLabel})`);
  });

  it('opens the printable page of the month, one commune per page', async () => {
    await page.getByRole('combobox', { name: 'Kỳ báo cáo' }).selectOption('month');
    const [printable] = await Promise.all([
      browser.context.waitForEvent('page'),
      page.getByRole('link', { name: 'Mở trang in' }).click(),
    ]);
    await printable.waitForLoadState();
    expect(printable.url()).toContain(`month=${today.slice(0, 7)}`);
    expect(printable.url()).toContain('format=html');
    await printable.getByRole('heading', { name: 'Nhật ký phát — báo cáo' }).waitFor();
    expect(await printable.locator('section.page').count()).toBe(1);
    const body = await printable.locator('tbody').textContent();
    expect(body).toContain('Thông báo tiêm phòng');
    expect(body).toContain(REASON);
    expect(body).toContain(`Cụm loa Đồi (${windowLabel}); Cụm loa Xa (${windowLabel})`);
    await screenshot(printable, 'reports-printable-page');
    await printable.close();
  });

  it('fits a 360 px phone', async () => {
    const phone = await openBrowser({ width: 360, height: 740 });
    try {
      await signIn(phone.page, world.server.base, world.accounts.viewer);
      await phone.page.goto(`${world.server.base}/#/reports?groupBy=unit`);
      await phone.page.locator('tr[data-group="cum-doi"]').waitFor();
      const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth);
      expect(overflow).toBeLessThanOrEqual(360);
      await screenshot(phone.page, 'reports-360px');
    } finally {
      await phone.close();
    }
  });
});
