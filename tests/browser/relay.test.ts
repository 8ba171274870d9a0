// Issue #8, relay (tiếp sóng) in a real browser: an editor writes a bulletin that relays a
// station's stream — the URL of a local HTTP "station" this test starts — and submits it; an
// approver sees it as a relay (badge, URL, duration, no audio player) and approves it. Bad input is
// refused in words before anything is sent, the server's own refusal is shown in words, and
// nothing is created by either (counted through the API). The screens fit a 360 px phone.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startStreamServer, type StreamServer } from '../../agent/src/relay/stream-server.js';
import { makeTone } from '../support/audio.js';
import { openBrowser, screenshot, type Browser } from './support/browser.js';
import { signIn, signOut } from './support/page.js';
import { clockIn, startWorld, windowAroundNow, type World } from './support/world.js';

interface RelayView {
  id: string;
  title: string;
  state: string;
  mediaSha256: string | null;
  relay: { url: string; durationMs: number } | null;
}

describe('a relay bulletin, from the editor to the approver', () => {
  let world: World;
  let browser: Browser;
  let page: Page;
  let station: StreamServer;
  const work = mkdtempSync(join(tmpdir(), 'loa-browser-relay-'));
  const title = 'Tiếp sóng chương trình thời sự buổi sáng';

  const bulletins = async () => {
    const res = await world.server.admin.get<{ bulletins: RelayView[] }>('/api/bulletins');
    expect(res.status).toBe(200);
    return res.body.bulletins;
  };
  const focusedName = () => page.evaluate(() => document.activeElement?.getAttribute('name') ?? null);
  const fitsWidth = async () => {
    const w = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, view: window.innerWidth }));
    expect(w.page, `the page scrolls sideways: ${w.page} px in ${w.view}`).toBeLessThanOrEqual(w.view);
  };
  /** A fresh form with the relay chosen, as an operator opens it. */
  const openRelayForm = async (name: string) => {
    await page.goto(`${world.server.base}/#/bulletins`);
    await page.getByRole('link', { name: 'Soạn bản tin' }).click();
    await page.getByLabel('Tiêu đề').fill(name);
    await page.getByLabel('Tiếp sóng đài (phát lại luồng trực tuyến)').check();
    await page.getByLabel('Địa chỉ luồng (HTTP/Icecast: MP3, AAC, Opus)').waitFor();
  };

  beforeAll(async () => {
    world = await startWorld({ roles: ['editor', 'approver'] });
    await windowAroundNow(world.server);
    // A unit to plan for: the server checks the windows against the units a bulletin reaches.
    const unit = await world.server.admin.post('/api/units', { id: 'cum-dinh', name: 'Cụm loa nhà văn hoá' });
    expect(unit.status).toBe(201);
    station = await startStreamServer(makeTone(work, 5, 'vov1.mp3'), 128_000);
    browser = await openBrowser();
    page = browser.page;
  });
  afterEach(async (ctx) => {
    await screenshot(page, `relay-${ctx.task.name}`);
  });
  afterAll(async () => {
    await browser?.close();
    await station?.close();
    await world?.close();
  });

  it('has a real station to relay: the local stream answers with MP3 audio', async () => {
    const res = await fetch(station.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/mpeg');
    await res.body?.cancel();
  });

  it('refuses, in words and before sending, a stream address that is not http(s)', async () => {
    await signIn(page, world.server.base, world.accounts.editor);
    const before = (await bulletins()).length;
    await openRelayForm('Địa chỉ sai');
    const url = page.getByLabel('Địa chỉ luồng (HTTP/Icecast: MP3, AAC, Opus)');
    // The form says where addresses come from; none is made up (nothing relayed yet).
    expect(await page.locator('#relay-url-hint').textContent()).toContain('Chưa có luồng nào được dùng');
    for (const bad of ['ftp://127.0.0.1/vov1.mp3', 'vov1.mp3', 'http://']) {
      await url.fill(bad);
      await page.getByRole('button', { name: 'Lưu và gửi duyệt' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent(), bad).toContain(
        'Địa chỉ luồng chưa đúng: phải bắt đầu bằng http:// hoặc https://',
      );
      expect(await focusedName()).toBe('relayUrl');
    }
    // An empty address is its own sentence.
    await url.fill('');
    await page.getByRole('button', { name: 'Lưu nháp' }).click();
    await page.getByRole('alert').filter({ hasText: 'Hãy nhập địa chỉ luồng cần tiếp sóng' }).waitFor();
    expect((await bulletins()).length).toBe(before);
    // The operator's input is kept.
    expect(await page.getByLabel('Tiêu đề').inputValue()).toBe('Địa chỉ sai');
  });

  it('refuses, in words and before sending, a duration of 0 or more than 360 minutes', async () => {
    const before = (await bulletins()).length;
    await openRelayForm('Thời lượng sai');
    await page.getByLabel('Địa chỉ luồng (HTTP/Icecast: MP3, AAC, Opus)').fill(station.url);
    const minutes = page.getByLabel('Thời lượng tiếp sóng (phút, 1–360)');
    for (const bad of ['0', '361', '2.5', '']) {
      await minutes.fill(bad);
      await page.getByRole('button', { name: 'Lưu và gửi duyệt' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent(), `"${bad}"`).toContain(
        'Thời lượng tiếp sóng phải là số phút nguyên từ 1 đến 360 (6 giờ)',
      );
      expect(await focusedName()).toBe('relayMinutes');
    }
    expect((await bulletins()).length).toBe(before);
  });

  it("shows the server's refusal in words: a relay that would run past the window's end", async () => {
    const before = (await bulletins()).length;
    await openRelayForm('Tiếp sóng quá dài');
    await page.getByLabel('Địa chỉ luồng (HTTP/Icecast: MP3, AAC, Opus)').fill(station.url);
    // The window ends about 60 minutes from now: 120 minutes from a pinned time in 10 does not fit.
    await page.getByLabel('Thời lượng tiếp sóng (phút, 1–360)').fill('120');
    // The form warns already, without blocking: the windows of zones may differ.
    await page.getByRole('status').filter({ hasText: 'Thời lượng dài hơn khung giờ phát dài nhất của xã' }).waitFor();
    await page.getByLabel('Vào giờ cố định').check();
    await page.getByLabel('Giờ phát', { exact: true }).fill(clockIn(10));
    await page.getByRole('button', { name: 'Lưu và gửi duyệt' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const text = await alert.textContent();
    expect(text).toContain('Chỉ bản tin khẩn cấp mới được phát ngoài khung giờ phát');
    expect(text).toMatch(/windows \(\d\d:\d\d/); // the server's sentence names the windows
    expect((await bulletins()).length).toBe(before);
    expect(await page.getByLabel('Địa chỉ luồng (HTTP/Icecast: MP3, AAC, Opus)').inputValue()).toBe(station.url);
  });

  it('lets an editor write a relay bulletin through the form and submit it', async () => {
    const before = (await bulletins()).length;
    await openRelayForm(title);
    await page.getByLabel('Địa chỉ luồng (HTTP/Icecast: MP3, AAC, Opus)').fill(station.url);
    await page.getByLabel('Thời lượng tiếp sóng (phút, 1–360)').fill('20');
    await page.getByRole('button', { name: 'Lưu và gửi duyệt' }).click();

    await page.getByRole('heading', { name: title, level: 1 }).waitFor();
    await page.locator('.badge', { hasText: 'Chờ duyệt' }).waitFor();
    await page.locator('.badge', { hasText: 'Tiếp sóng' }).waitFor();
    const facts = page.getByTestId('relay-facts');
    expect(await facts.textContent()).toContain(station.url);
    expect(await facts.textContent()).toContain('20 phút');
    expect(await page.locator('audio').count()).toBe(0);

    // What the server stored: a relay of 20 minutes of this stream, no audio of its own.
    const all = await bulletins();
    expect(all.length).toBe(before + 1);
    const b = all.find((x) => x.title === title)!;
    expect(b.state).toBe('submitted');
    expect(b.mediaSha256).toBeNull();
    expect(b.relay).toEqual({ url: station.url, durationMs: 20 * 60_000 });
  });

  it('lets an approver see it as a relay, with its URL and duration, and approve it', async () => {
    await signOut(page);
    await signIn(page, world.server.base, world.accounts.approver);
    await page.getByRole('navigation', { name: 'Mục chính' }).getByRole('link', { name: 'Bản tin' }).click();
    await page.getByRole('button', { name: 'Chờ duyệt' }).click();
    const row = page.getByRole('row').filter({ hasText: title });
    const summary = row.getByTestId('relay-summary');
    await summary.waitFor();
    const line = await summary.textContent();
    expect(line).toContain('Tiếp sóng');
    expect(line).toContain(station.url);
    expect(line).toContain('20 phút');

    await row.getByRole('link', { name: title }).click();
    await page.getByRole('heading', { name: title, level: 1 }).waitFor();
    const facts = page.getByTestId('relay-facts');
    expect(await facts.textContent()).toContain(station.url);
    expect(await facts.textContent()).toContain('20 phút');
    expect(await page.getByRole('link', { name: station.url }).getAttribute('href')).toBe(station.url);
    expect(await page.locator('audio').count()).toBe(0);
    await page.getByRole('button', { name: 'Phê duyệt' }).click();
    await page.locator('.badge', { hasText: 'Đã duyệt' }).waitFor();
    await page.locator('.badge', { hasText: 'Tiếp sóng' }).waitFor();
    expect((await bulletins()).find((x) => x.title === title)!.state).toBe('approved');
  });

  it('fits a 360 px phone: the form, the list and a relay of a long address', async () => {
    // A long address, as some stations give them, written through the API by the editor.
    const longUrl = `${station.url}?listener=loa-xa-${'0123456789abcdef'.repeat(8)}`;
    const editor = await world.server.userClient('editor', { username: 'editor-relay-phone' });
    const made = await editor.post<RelayView>('/api/bulletins', {
      title: 'Tiếp sóng đài tỉnh',
      level: 'ordinary',
      relay: { url: longUrl, durationMs: 15 * 60_000 },
      targets: { commune: true },
      recurrence: { days: [0, 1, 2, 3, 4, 5, 6] },
      validFrom: new Date().toISOString(),
      validUntil: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);

    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(`${world.server.base}/#/bulletins/${made.body.id}`);
    await page.getByRole('heading', { name: 'Tiếp sóng đài tỉnh', level: 1 }).waitFor();
    expect(await page.getByTestId('relay-facts').textContent()).toContain('15 phút');
    await fitsWidth();
    await screenshot(page, 'relay-phone-detail');

    await page.goto(`${world.server.base}/#/bulletins`);
    await page.getByTestId('relay-summary').first().waitFor();
    expect(await page.getByTestId('relay-summary').count()).toBe(2);
    await fitsWidth();
    await screenshot(page, 'relay-phone-list');

    // The approver writes nothing; the form is the editor's.
    await signOut(page);
    await signIn(page, world.server.base, world.accounts.editor);
    await openRelayForm('Trên điện thoại');
    // Addresses already relayed are now suggested, and only those (once the list has loaded:
    // evaluateAll does not wait).
    await page.locator('#relay-recent option').nth(1).waitFor({ state: 'attached' });
    const suggested = await page
      .locator('#relay-recent option')
      .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value).sort());
    expect(suggested).toEqual([station.url, longUrl].sort());
    await page.getByLabel('Địa chỉ luồng (HTTP/Icecast: MP3, AAC, Opus)').fill(longUrl);
    await fitsWidth();
  });
});
