// Issue #5 in a real browser, for the technician: real agent processes online on the units table;
// one killed shows offline within 2 s without a reload (the WebSocket), on the table and in the
// overview's counts; filters; a unit's page with today's plan and the play log of what its
// loudspeaker really played; commands (volume, test tone, resync, mute) and their acknowledgements;
// a unit's secret replaced and revoked, and — against a Mosquitto the server does not manage —
// the warning that the broker still lets the unit in.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { weekdayOf, toZoned } from '@loa/shared';
import { makeTone } from '../support/audio.js';
import { startAgent, type AgentProcess } from '../support/agent.js';
import { freePort } from '../support/mosquitto.js';
import { ApiClient, startServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';
import { openBrowser, screenshot, type Browser } from './support/browser.js';
import { signIn, waitLive } from './support/page.js';
import { buildWeb } from './support/web-build.js';
import { clockIn, startWorld, TZ, windowAroundNow, type World } from './support/world.js';

describe('units, live in the browser', () => {
  let world: World;
  let browser: Browser;
  let page: Page;
  const agents = new Map<string, AgentProcess>();
  const work = mkdtempSync(join(tmpdir(), 'loa-browser-units-'));

  beforeAll(async () => {
    world = await startWorld({ roles: ['technician', 'editor', 'approver'] });
    const { admin } = world.server;
    await windowAroundNow(world.server);
    await admin.post('/api/communes/default/villages', { id: 'ban-chao', name: 'Bản Chao' });
    await admin.post('/api/communes/default/villages', { id: 'ban-lim', name: 'Bản Lìm' });
    for (const [id, name, villageId] of [
      ['cum-chao', 'Cụm loa Bản Chao', 'ban-chao'],
      ['cum-lim', 'Cụm loa Bản Lìm', 'ban-lim'],
    ] as const) {
      const res = await admin.post<{ secret: string; serverPublicKey: string }>('/api/units', { id, name, villageId });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      agents.set(
        id,
        startAgent({
          mqttUrl: world.server.mqttUrl,
          unit: id,
          secret: res.body.secret,
          serverKeyPem: res.body.serverPublicKey,
        }),
      );
    }
    for (const id of agents.keys())
      // Two agent processes starting at once on a busy 2-core CI machine: give them time.
      await waitFor(
        `${id} online`,
        async () => ((await admin.get<{ online: boolean }>(`/api/units/${id}`)).body.online ? true : undefined),
        40_000,
      );
    browser = await openBrowser();
    page = browser.page;
    await signIn(page, world.server.base, world.accounts.technician);
  });
  afterEach(async (ctx) => {
    await screenshot(page, `units-${ctx.task.name}`);
  });
  afterAll(async () => {
    await browser?.close();
    for (const a of agents.values()) await a.kill('SIGKILL');
    await world?.close();
  });

  const row = (id: string) => page.locator(`tr[data-unit="${id}"]`);

  it('shows a unit going offline within 2 s of its agent being killed, without a reload, on the table and the overview', async () => {
    // The overview in a second tab, on its own live feed: its counts follow the same agents.
    const overview = await browser.context.newPage();
    await overview.goto(`${world.server.base}/#/dashboard`);
    await waitLive(overview);
    const count = (which: 'online' | 'offline') => overview.getByTestId(`${which}-count`);
    await count('online').filter({ hasText: /^2$/ }).waitFor();
    expect(await count('offline').textContent()).toBe('0');

    await page.getByRole('navigation', { name: 'Mục chính' }).getByRole('link', { name: 'Cụm loa' }).click();
    await waitLive(page);
    await row('cum-chao').locator('.status', { hasText: 'Trực tuyến' }).waitFor();
    await row('cum-lim').locator('.status', { hasText: 'Trực tuyến' }).waitFor();
    for (const p of [page, overview])
      await p.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));

    const killedAt = Date.now();
    await agents.get('cum-lim')!.kill('SIGKILL');
    await row('cum-lim').locator('.status', { hasText: 'Mất kết nối' }).waitFor({ timeout: 2000 });
    expect(Date.now() - killedAt).toBeLessThan(2000);
    await count('offline')
      .filter({ hasText: /^1$/ })
      .waitFor({ timeout: Math.max(1, 2000 - (Date.now() - killedAt)) });
    expect(Date.now() - killedAt).toBeLessThan(2000);
    expect(await count('online').textContent()).toBe('1');
    await overview.getByRole('region', { name: 'Cụm loa' }).getByRole('link', { name: 'Cụm loa Bản Lìm' }).waitFor();
    for (const p of [page, overview])
      expect(await p.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    expect(await row('cum-chao').locator('.status').textContent()).toBe('Trực tuyến');
    await screenshot(overview, 'units-overview-after-kill');
    await overview.close();
  });

  it('filters the offline units, and the units of one village', async () => {
    await page.getByRole('combobox', { name: 'Trạng thái' }).selectOption('offline');
    await row('cum-chao').waitFor({ state: 'detached' });
    expect(await page.locator('tr[data-unit]').count()).toBe(1);
    expect(await row('cum-lim').count()).toBe(1);

    await page.getByRole('combobox', { name: 'Trạng thái' }).selectOption('all');
    await page.getByRole('combobox', { name: 'Thôn' }).selectOption('ban-chao');
    await row('cum-lim').waitFor({ state: 'detached' });
    expect(await page.locator('tr[data-unit]').count()).toBe(1);
    expect(await row('cum-chao').count()).toBe(1);
    // The filters live in the address, so a technician can keep the link.
    expect(page.url()).toContain('village=ban-chao');
  });

  it('shows an alert as it is raised, on the overview and as a filter of the table', async () => {
    await page.goto(`${world.server.base}/#/units?alerting=1`);
    await page.getByText('Không có cụm loa nào khớp bộ lọc.').waitFor();
    // Raised by the server's own health watch in real life (a unit low on disk); here, directly.
    world.server.app.services.alerts.raise(
      'cum-chao',
      'low-disk',
      'The unit is low on disk space: free space on its card.',
    );
    await row('cum-chao').waitFor();
    expect(await page.locator('tr[data-unit]').count()).toBe(1);
    await page.getByRole('navigation', { name: 'Mục chính' }).getByRole('link', { name: 'Tổng quan' }).click();
    const alerts = page.getByRole('region', { name: 'Cảnh báo' });
    await alerts.getByText('Sắp hết chỗ trên thẻ nhớ').waitFor();
    expect(await alerts.textContent()).toContain('Cụm loa Bản Chao');
    world.server.app.services.alerts.clear('cum-chao', 'low-disk');
    await alerts.getByText('Không có cảnh báo nào.').waitFor();
  });

  it("shows a unit's plan for today and the play log of what it really played", async () => {
    // An editor writes and an approver approves (two people, DESIGN §7) an item in 20 s.
    const editor = new ApiClient(world.server.base);
    await editor.login(world.accounts.editor.username, world.accounts.editor.password);
    const approver = new ApiClient(world.server.base);
    await approver.login(world.accounts.approver.username, world.accounts.approver.password);
    const media = await editor.upload<{ sha256: string }>(makeTone(work, 2, 'chao.mp3'));
    expect(media.status).toBe(201);
    const b = await editor.post<{ id: string }>('/api/bulletins', {
      title: 'Loa thử Bản Chao',
      level: 'ordinary',
      mediaSha256: media.body.sha256,
      targets: { unitIds: ['cum-chao'] },
      recurrence: { days: [weekdayOf(toZoned(Date.now(), TZ).date)], pinnedTimes: [clockIn(0.34)] },
      validFrom: new Date(Date.now() - 60_000).toISOString(),
      validUntil: new Date(Date.now() + 3600_000).toISOString(),
    });
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    expect((await editor.post(`/api/bulletins/${b.body.id}/submit`)).status).toBe(200);
    expect((await approver.post(`/api/bulletins/${b.body.id}/approve`)).status).toBe(200);

    await page.goto(`${world.server.base}/#/units`);
    await page.getByRole('link', { name: 'Cụm loa Bản Chao' }).click();
    await page.getByRole('heading', { name: /Cụm loa Bản Chao/, level: 1 }).waitFor();
    const plan = page.getByRole('region', { name: /Lịch phát hôm nay/ });
    await plan.getByText('Loa thử Bản Chao').waitFor();
    // Played by the real agent, reported back, and shown without touching the page.
    const log = page.getByRole('region', { name: 'Nhật ký phát (7 ngày)' });
    await log.getByRole('cell', { name: 'Phát xong' }).waitFor({ timeout: 45_000 });
    expect(await log.getByRole('cell', { name: 'Loa thử Bản Chao' }).count()).toBe(1);
  }, 60_000);

  it('sends a volume command and shows the acknowledgement of the unit', async () => {
    const commands = page.getByRole('region', { name: 'Điều khiển' });
    await commands.getByRole('slider', { name: 'Âm lượng' }).fill('35');
    await commands.getByRole('button', { name: 'Đặt âm lượng' }).click();
    const line = commands.locator('li', { hasText: 'Âm lượng 35' });
    await line.waitFor();
    await line.locator('.badge', { hasText: 'đã thực hiện' }).waitFor({ timeout: 10_000 });
  });

  it('sends a test tone, a resync and mute, each acknowledged by the unit', async () => {
    const commands = page.getByRole('region', { name: 'Điều khiển' });
    await commands.getByLabel('Số giây').fill('1');
    await commands.getByRole('button', { name: 'Phát âm thử' }).click();
    await commands.locator('li', { hasText: 'Âm thử 1 giây' }).locator('.badge', { hasText: 'đã thực hiện' }).waitFor();
    await commands.getByRole('button', { name: 'Đồng bộ lại' }).click();
    await commands.locator('li', { hasText: 'Đồng bộ lại' }).locator('.badge', { hasText: 'đã thực hiện' }).waitFor();
    // Last: a muted unit stays silent for whatever runs after.
    await commands.getByRole('button', { name: 'Tắt tiếng' }).click();
    await commands.locator('li', { hasText: 'Tắt tiếng' }).locator('.badge', { hasText: 'đã thực hiện' }).waitFor();
    // What the unit acknowledged is what the server recorded.
    const sent = await world.server.admin.get<{ commands: Array<{ type: string; state: string }> }>(
      '/api/units/cum-chao/commands',
    );
    for (const type of ['test-tone', 'resync', 'mute'])
      expect(sent.body.commands.find((c) => c.type === type)?.state, type).toBe('acked');
  });

  /** Connects as the unit with this secret: resolves when the broker lets it in. */
  const connectAs = (unit: string, secret: string) =>
    mqtt.connectAsync(world.server.mqttUrl, {
      clientId: `loa-unit-${unit}`,
      username: unit,
      password: secret,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });

  it("replaces a unit's secret, shown once and working at once, then revokes the unit", async () => {
    const created = await world.server.admin.post<{ secret: string }>('/api/units', {
      id: 'cum-moi',
      name: 'Cụm loa mới',
    });
    expect(created.status).toBe(201);
    await page.goto(`${world.server.base}/#/units/cum-moi`);
    const card = page.getByRole('region', { name: 'Mã bí mật' });
    const state = card.getByTestId('secret-state');
    expect(await state.textContent()).toBe('Vẫn dùng mã bí mật cấp lúc thêm cụm loa.');
    // A confirmation declined changes nothing.
    page.once('dialog', (d) => void d.dismiss());
    await card.getByRole('button', { name: 'Thu hồi' }).click();
    expect(await card.getByLabel('Mã bí mật mới').count()).toBe(0);

    page.once('dialog', (d) => void d.accept());
    await card.getByRole('button', { name: 'Cấp mã bí mật mới' }).click();
    const secret = await card.getByLabel('Mã bí mật mới').inputValue();
    expect(secret).not.toBe(created.body.secret);
    await state.getByText(/^Mã bí mật được cấp lại lúc/).waitFor();
    // The embedded broker applies it at once: no warning, and the secret shown is the one that works.
    expect(await card.getByTestId('broker-not-applied').count()).toBe(0);
    await (await connectAs('cum-moi', secret)).endAsync();
    await expect(connectAs('cum-moi', created.body.secret)).rejects.toThrow();

    page.once('dialog', (d) => void d.accept());
    await card.getByRole('button', { name: 'Thu hồi' }).click();
    await state.getByText(/^Đã thu hồi lúc/).waitFor();
    expect(await card.getByTestId('broker-not-applied').count()).toBe(0);
    expect(await card.getByRole('button', { name: 'Thu hồi' }).count()).toBe(0);
    await card.getByRole('button', { name: 'Cấp mã mới để dùng lại' }).waitFor();
    await expect(connectAs('cum-moi', secret)).rejects.toThrow();
  });

  it('says after a revoke and a rotation that an external broker the server does not manage still lets the unit in', async () => {
    // An operator's own Mosquitto, without Loa's files (anonymous: its access is not what is tested).
    const dir = mkdtempSync(join(tmpdir(), 'loa-browser-unmanaged-'));
    const port = await freePort();
    writeFileSync(
      join(dir, 'mosquitto.conf'),
      `listener ${port} 127.0.0.1\nallow_anonymous true\n${process.getuid?.() === 0 ? 'user root\n' : ''}`,
    );
    let out = '';
    const mosquitto = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    mosquitto.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const other = await waitFor('Mosquitto running', () => /running/.test(out) || undefined, 10_000, 50).then(
      async () => startServer({ WEB_DIR: await buildWeb(), MQTT_URL: `mqtt://127.0.0.1:${port}` }),
    );
    // Another host name than the main server's, so the two sessions' cookies do not meet.
    const base = other.base.replace('127.0.0.1', 'localhost');
    const tab = await browser.context.newPage();
    try {
      expect((await other.admin.post('/api/units', { id: 'cum-mat', name: 'Cụm loa bị mất' })).status).toBe(201);
      await signIn(tab, base, { username: other.app.firstAdmin!.username, password: other.app.firstAdmin!.password });
      await tab.goto(`${base}/#/units/cum-mat`);
      tab.on('dialog', (d) => void d.accept());
      const card = tab.getByRole('region', { name: 'Mã bí mật' });
      await card.getByRole('button', { name: 'Thu hồi' }).click();
      const note = card.getByTestId('broker-not-applied');
      await note.waitFor();
      expect(await note.textContent()).toContain(
        'Máy chủ MQTT bên ngoài chưa được báo: cụm loa vẫn kết nối được bằng mã cũ.',
      );
      expect(await note.textContent()).toContain('MQTT_EXPORT_DIR is unset');
      await card
        .getByTestId('secret-state')
        .getByText(/^Đã thu hồi lúc/)
        .waitFor();

      await card.getByRole('button', { name: 'Cấp mã mới để dùng lại' }).click();
      await card.getByLabel('Mã bí mật mới').waitFor();
      expect(await note.textContent()).toContain('npm run broker:export');
    } finally {
      await tab.close();
      await other.close();
      mosquitto.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
