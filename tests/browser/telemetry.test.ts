// Issue #9 in a real browser: a unit's health over time on its page. The figures are real telemetry
// sent over MQTT by a board speaking the real protocol (stored by the server's telemetry history);
// the charts follow new reports without a reload, switch between 24 hours and 7 days, and say so
// when a unit has reported nothing.
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { topics } from '@loa/shared';
import { waitFor } from '../support/wait.js';
import { openBrowser, screenshot, type Browser } from './support/browser.js';
import { signIn, waitLive } from './support/page.js';
import { startWorld, type World } from './support/world.js';

describe('telemetry charts on the unit page', () => {
  let world: World;
  let browser: Browser;
  let page: Page;
  let board: MqttClient;
  const GiB = 1024 ** 3;

  const report = (sample: Record<string, unknown>) =>
    board.publishAsync(topics.telemetry('cum-doc'), JSON.stringify({ at: Date.now(), uptimeS: 600, ...sample }), {
      qos: 0,
    });
  const stored = async () =>
    (await world.server.admin.get<{ points: unknown[] }>('/api/units/cum-doc/telemetry?resolution=raw')).body.points
      .length;

  beforeAll(async () => {
    world = await startWorld({ roles: ['viewer'] });
    for (const [id, name] of [
      ['cum-doc', 'Cụm loa Dốc'],
      ['cum-moi', 'Cụm loa Mới'],
    ] as const) {
      const res = await world.server.admin.post<{ secret: string }>('/api/units', { id, name });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      if (id === 'cum-doc')
        board = await mqtt.connectAsync(world.server.mqttUrl, {
          clientId: `loa-unit-${id}`,
          username: id,
          password: res.body.secret,
          reconnectPeriod: 0,
        });
    }
    // A board warming up through the afternoon: five reports.
    const temps = [41, 47, 53, 58, 62];
    for (const [i, cpuTempC] of temps.entries()) {
      await report({
        cpuTempC,
        load1: 0.2 + i * 0.1,
        diskFreeBytes: (5 - i * 0.5) * GiB,
        clockOffsetMs: 20 - i * 5,
      });
      await new Promise((r) => setTimeout(r, 150));
    }
    await waitFor('five samples stored', async () => ((await stored()) === 5 ? true : undefined));
    browser = await openBrowser();
    page = browser.page;
    await signIn(page, world.server.base, world.accounts.viewer);
  });
  afterEach(async (ctx) => {
    await screenshot(page, `telemetry-${ctx.task.name}`);
  });
  afterAll(async () => {
    await browser?.close();
    await board?.endAsync(true);
    await world?.close();
  });

  const chart = (metric: string) => page.locator(`figure[data-metric="${metric}"]`);

  it('charts temperature, load, disk free and clock offset of the last 24 hours', async () => {
    await page.goto(`${world.server.base}/#/units/cum-doc`);
    const region = page.getByRole('region', { name: 'Diễn biến sức khoẻ' });
    await region.waitFor();
    await chart('cpuTempC').getByText('mới nhất 62 °C').waitFor();
    expect(await chart('cpuTempC').textContent()).toContain('thấp nhất 41 °C, cao nhất 62 °C');
    expect(await chart('load1').textContent()).toContain('mới nhất 0.60');
    expect(await chart('diskFreeBytes').textContent()).toContain('mới nhất 3.0 GB');
    expect(await chart('clockOffsetMs').textContent()).toContain('thấp nhất 0 ms, cao nhất 20 ms');
    // One line per figure, through every report (the samples are seconds apart: no gap).
    const d = await chart('cpuTempC').locator('svg path').first().getAttribute('d');
    expect(d).toMatch(/^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+)+$/);
    expect(await chart('cpuTempC').getByRole('img').getAttribute('aria-label')).toBe(
      'Nhiệt độ CPU: mới nhất 62 °C; thấp nhất 41 °C, cao nhất 62 °C',
    );
    expect(await region.getByRole('radio', { name: '24 giờ' }).isChecked()).toBe(true);
  });

  it('follows a new report without a reload', async () => {
    await waitLive(page);
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    await report({ cpuTempC: 71, load1: 1.5, diskFreeBytes: 2.5 * GiB, clockOffsetMs: -40 });
    // The charts follow at most every 15 s (a unit reports every 30 s).
    await chart('cpuTempC').getByText('mới nhất 71 °C').waitFor({ timeout: 20_000 });
    expect(await chart('clockOffsetMs').textContent()).toContain('thấp nhất -40 ms');
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
  }, 30_000);

  it('switches to 7 days, where reports not yet averaged are still shown', async () => {
    const region = page.getByRole('region', { name: 'Diễn biến sức khoẻ' });
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/telemetry?') && r.url().includes('resolution=5m')),
      region.getByText('7 ngày').click(),
    ]);
    expect(res.status()).toBe(200);
    const url = new URL(res.url());
    expect(Number(url.searchParams.get('to')) - Number(url.searchParams.get('from'))).toBe(7 * 86_400_000 + 1);
    await chart('cpuTempC').getByText('mới nhất 71 °C').waitFor();
    expect(await chart('cpuTempC').textContent()).toContain('thấp nhất 41 °C, cao nhất 71 °C');
  });

  it('says so when a unit has reported nothing', async () => {
    await page.goto(`${world.server.base}/#/units/cum-moi`);
    const region = page.getByRole('region', { name: 'Diễn biến sức khoẻ' });
    await region.getByText('Chưa có số liệu nào trong khoảng thời gian này.').waitFor();
    expect(await region.locator('svg').count()).toBe(0);
  });

  it('fits a 360 px phone', async () => {
    const phone = await openBrowser({ width: 360, height: 740 });
    try {
      await signIn(phone.page, world.server.base, world.accounts.viewer);
      await phone.page.goto(`${world.server.base}/#/units/cum-doc`);
      await phone.page.locator('figure[data-metric="cpuTempC"] svg').waitFor();
      const box = await phone.page.locator('figure[data-metric="cpuTempC"] svg').boundingBox();
      expect(box!.width).toBeGreaterThan(250);
      expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      await phone.page.getByRole('region', { name: 'Diễn biến sức khoẻ' }).scrollIntoViewIfNeeded();
      await screenshot(phone.page, 'telemetry-360px');
    } finally {
      await phone.close();
    }
  });
});
