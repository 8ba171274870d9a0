// Issue #5 with content on the screens: an approved bulletin in its zone and on its day of the week;
// what plays now on the overview, as planned and as a unit reports it; an overfull window, with the
// reason and the bulletin's title, on Lịch phát and Tổng quan; the preview player loading the audio;
// and, on plain http at an address other than this machine, the microphone explained, not blamed on
// the browser.
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
import { signIn, waitLive } from './support/page.js';
import { clockIn, startWorld, TZ, windowAroundNow, type World } from './support/world.js';

describe('the schedule and the overview, with content', () => {
  let world: World;
  let browser: Browser;
  let page: Page;
  let unit: MqttClient;
  const work = mkdtempSync(join(tmpdir(), 'loa-browser-schedule-'));
  const today = toZoned(Date.now(), TZ).date;
  const ids = { meeting: '', storm: '' };
  /** The meeting's pinned time (HH:MM:SS), a few seconds before it is approved. */
  let pinned = '';
  const nav = () => page.getByRole('navigation', { name: 'Mục chính' });

  beforeAll(async () => {
    world = await startWorld({ roles: ['editor', 'approver'] });
    const { admin } = world.server;
    await windowAroundNow(world.server);
    const cho = await admin.post<{ secret: string }>('/api/units', { id: 'cum-cho', name: 'Cụm loa chợ' });
    await admin.post('/api/units', { id: 'cum-song', name: 'Cụm loa bờ sông' });
    await admin.post('/api/zones', { id: 'khu-cho', name: 'Khu chợ', unitIds: ['cum-cho'] });
    await admin.post('/api/zones', { id: 'ven-song', name: 'Ven sông', unitIds: ['cum-song'] });

    const editor = new ApiClient(world.server.base);
    await editor.login(world.accounts.editor.username, world.accounts.editor.password);
    const approver = new ApiClient(world.server.base);
    await approver.login(world.accounts.approver.username, world.accounts.approver.password);
    const publish = async (body: Record<string, unknown>, seconds: number, name: string) => {
      const media = await editor.upload<{ sha256: string }>(makeTone(work, seconds, name));
      expect(media.status, JSON.stringify(media.body)).toBe(201);
      const b = await editor.post<{ id: string }>('/api/bulletins', {
        level: 'ordinary',
        mediaSha256: media.body.sha256,
        validFrom: new Date(Date.now() - 600_000).toISOString(),
        validUntil: new Date(Date.now() + 3600_000).toISOString(),
        ...body,
      });
      expect(b.status, JSON.stringify(b.body)).toBe(201);
      expect((await editor.post(`/api/bulletins/${b.body.id}/submit`)).status).toBe(200);
      expect((await approver.post(`/api/bulletins/${b.body.id}/approve`)).status).toBe(200);
      return b.body.id;
    };
    // Two minutes of sound pinned a few seconds ago, today only: it is on air while the test looks.
    pinned = clockIn(-0.1);
    ids.meeting = await publish(
      {
        title: 'Họp dân thôn chợ',
        targets: { zoneIds: ['khu-cho'] },
        recurrence: { days: [weekdayOf(today)], pinnedTimes: [pinned] },
      },
      120,
      'hop-dan.mp3',
    );
    // Three airings an hour apart: only the first fits the hour-long window.
    ids.storm = await publish(
      {
        title: 'Phòng chống bão số 9',
        targets: { zoneIds: ['ven-song'] },
        recurrence: { days: [weekdayOf(today)] },
        repeat: { count: 3, gapSeconds: 3600 },
      },
      5,
      'bao.mp3',
    );

    // A unit standing in for the board at the market, reporting what its loudspeaker plays.
    unit = await mqtt.connectAsync(world.server.mqttUrl, {
      clientId: 'loa-unit-cum-cho',
      username: 'cum-cho',
      password: cho.body.secret,
      reconnectPeriod: 0,
    });
    await unit.publishAsync(topics.status('cum-cho'), JSON.stringify({ online: true, since: Date.now() }), {
      qos: 1,
      retain: true,
    });
    await unit.publishAsync(
      topics.telemetry('cum-cho'),
      JSON.stringify({ at: Date.now(), uptimeS: 600, volume: 80, playing: `${ids.meeting}@${today}#1` }),
    );

    browser = await openBrowser({ hosts: ['loa.test'] });
    page = browser.page;
    await signIn(page, world.server.base, world.accounts.admin);
  });
  afterEach(async (ctx) => {
    await screenshot(page, `schedule-${ctx.task.name}`);
  });
  afterAll(async () => {
    await unit?.endAsync(true);
    await browser?.close();
    await world?.close();
  });

  it('shows on the overview what plays now, planned and reported, and what did not fit, by title', async () => {
    await waitLive(page);
    const now = page.getByRole('region', { name: 'Đang phát' });
    // As planned: the item sounding now, with its zone.
    await now.locator('li', { hasText: 'Họp dân thôn chợ — Khu chợ' }).waitFor();
    // As the unit reports it: its name, and the title of the plan item it plays.
    const reported = now.locator('li', { has: page.getByRole('link', { name: 'Cụm loa chợ' }) });
    await reported.waitFor();
    expect(await reported.textContent()).toBe('Cụm loa chợ: Họp dân thôn chợ');

    const overbooked = page.getByRole('region', { name: /Không xếp được/ });
    await overbooked.waitFor();
    const lines = overbooked.locator('li');
    expect(await lines.count()).toBe(2); // the second and third airings
    for (const line of await lines.all()) {
      expect(await line.locator('strong').textContent()).toBe('Khung giờ đã đầy');
      expect(await line.getByRole('link').textContent()).toBe('Phòng chống bão số 9');
      expect(await line.textContent()).toContain('Cụm loa bờ sông');
    }
  });

  it('shows the approved item in its zone and on its day of the week, and what did not fit', async () => {
    await nav().getByRole('link', { name: 'Lịch phát' }).click();
    const grid = page.locator('table.week-table');
    await grid.getByText('Họp dân thôn chợ').waitFor();
    const row = (zone: string) => grid.locator('tbody tr', { has: page.locator('th', { hasText: zone }) });
    const cells = await row('Khu chợ').locator('td').allTextContents();
    const column = cells.findIndex((c) => c.includes('Họp dân thôn chợ'));
    expect(cells.filter((c) => c.includes('Họp dân thôn chợ'))).toHaveLength(1);
    // The column is today's: its heading names today's day and month.
    const [, mm, dd] = today.split('-');
    expect(
      await grid
        .locator('thead th')
        .nth(column + 1)
        .textContent(),
    ).toContain(`${dd}/${mm}`);
    expect(cells[column]).toContain(`${pinned.slice(0, 5)} Họp dân thôn chợ`);
    expect((await row('Ven sông').textContent()) ?? '').not.toContain('Họp dân thôn chợ');
    expect(await row('Ven sông').locator('td').nth(column).textContent()).toContain('Phòng chống bão số 9');

    const overbooked = page.getByRole('region', { name: /Không xếp được/ });
    const line = overbooked.locator('li').first();
    expect(await line.textContent()).toContain(`${today} · Khung giờ đã đầy`);
    // The title leads to the bulletin, where the operator can change what does not fit.
    await line.getByRole('link', { name: 'Phòng chống bão số 9' }).click();
    await page.getByRole('heading', { name: 'Phòng chống bão số 9', level: 1 }).waitFor();
    expect(page.url()).toContain(`#/bulletins/${ids.storm}`);
  });

  it('loads the audio of a bulletin in the preview player', async () => {
    await page.goto(`${world.server.base}/#/bulletins/${ids.meeting}`);
    const player = page.getByLabel('Nghe thử');
    await player.waitFor();
    // preload="none" spares the link until someone listens; asking for the metadata is what the
    // browser does when the person presses play.
    await player.evaluate((el: HTMLAudioElement) => {
      el.preload = 'metadata';
      el.load();
    });
    await page.waitForFunction(() => (document.querySelector('audio')?.duration ?? 0) > 0);
    const seconds = await player.evaluate((el: HTMLAudioElement) => el.duration);
    expect(seconds).toBeGreaterThan(119);
    expect(seconds).toBeLessThan(121);
    expect(await page.getByText('Chưa nghe thử được').count()).toBe(0);
  });

  it('says on plain http that the microphone needs https, rather than blaming the browser', async () => {
    // The same server at a name that is not this machine's, as http://192.168.1.10 is on a LAN.
    const base = world.server.base.replace('127.0.0.1', 'loa.test');
    await signIn(page, base, world.accounts.admin);
    expect(await page.evaluate(() => window.isSecureContext)).toBe(false);
    await page.goto(`${base}/#/bulletins/new`);
    await page.getByLabel('Ghi âm bằng micrô').check();
    await page.getByText('Trình duyệt chỉ cho ghi âm bằng micrô khi trang được mở qua https').waitFor();
    expect(await page.getByText('(TLS_CERT và TLS_KEY), hoặc ghi âm bằng điện thoại').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Bắt đầu ghi âm' }).count()).toBe(0);
    expect(await page.getByText('Trình duyệt này không ghi âm được').count()).toBe(0);

    await page.goto(`${base}/#/live`);
    const alert = page.getByRole('alert').filter({ hasText: 'https' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Trình duyệt chỉ cho dùng micro khi trang được mở qua https');
    expect(await page.getByText('Trình duyệt này không phát trực tiếp được').count()).toBe(0);
  });
});
