// Issue #5 in a real browser: an editor writes a bulletin (from a file, and from the microphone)
// and submits it — a recording too quiet to reach the loudness target is said so, with what to do;
// an approver approves one — which then shows on today's timeline — and rejects another with a
// reason the editor reads. Real server, real ffmpeg, Debian's Chromium.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { makeTone } from '../support/audio.js';
import { ApiClient } from '../support/server.js';
import { openBrowser, screenshot, type Browser } from './support/browser.js';
import { signIn, signOut } from './support/page.js';
import { clockIn, startWorld, windowAroundNow, type World } from './support/world.js';

describe('bulletins, from the editor to the approver', () => {
  let world: World;
  let browser: Browser;
  let page: Page;
  const work = mkdtempSync(join(tmpdir(), 'loa-browser-'));
  const title = 'Thông báo tiêm phòng gia súc';
  /** The bulletin the approver rejects, which its editor then corrects. */
  let rejectedId = '';

  beforeAll(async () => {
    world = await startWorld({ roles: ['editor', 'approver'] });
    await windowAroundNow(world.server);
    const unit = await world.server.admin.post('/api/units', { id: 'cum-cho', name: 'Cụm loa chợ' });
    expect(unit.status).toBe(201);
    browser = await openBrowser({ microphone: true });
    page = browser.page;
  });
  afterEach(async (ctx) => {
    await screenshot(page, `bulletins-${ctx.task.name}`);
  });
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('says what to do after a wrong password, then signs in', async () => {
    await page.goto(world.server.base + '/');
    await page.getByLabel('Tên đăng nhập').fill(world.accounts.editor.username);
    await page.getByLabel('Mật khẩu').fill('không phải mật khẩu');
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Sai tên đăng nhập hoặc mật khẩu. Kiểm tra lại cả hai rồi thử lại.');

    await page.getByLabel('Mật khẩu').fill(world.accounts.editor.password);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.getByRole('heading', { name: 'Tổng quan', level: 1 }).waitFor();
    expect(await page.locator('.who').textContent()).toContain('Biên tập viên');
  });

  it('lets an editor write a bulletin from a too quiet recording, says what to do about it, and submits it', async () => {
    // About −56 LUFS: past what the +30 dB gain cap can bring to the −16 LUFS target (issue #6).
    const quiet = join(work, 'tiem-phong-nho.mp3');
    const lavfi = 'sine=frequency=440:duration=4';
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', lavfi, '-af', 'volume=-34dB', '-ac', '1', quiet]);
    await page.getByRole('navigation', { name: 'Mục chính' }).getByRole('link', { name: 'Bản tin' }).click();
    await page.getByRole('link', { name: 'Soạn bản tin' }).click();
    await page.getByLabel('Tiêu đề').fill(title);
    await page.getByLabel('Chọn tệp âm thanh').setInputFiles(quiet);
    await page.getByTestId('media-ready').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('media-ready').textContent()).toContain('0:04');
    const warnings = page.getByTestId('media-warnings');
    expect(await warnings.locator('li').evaluateAll((li) => li.map((x) => x.getAttribute('data-warning')))).toEqual([
      'gain-capped',
      'loudness-missed',
    ]);
    expect(await warnings.textContent()).toContain(
      'Bản ghi quá nhỏ, đã khuếch đại tối đa mà vẫn chưa đủ — nên thu lại gần micrô hơn',
    );
    await page.getByLabel('Vào giờ cố định').check();
    await page.getByLabel('Giờ phát', { exact: true }).fill(clockIn(10));
    await page.getByRole('button', { name: 'Lưu và gửi duyệt' }).click();

    await page.getByRole('heading', { name: title, level: 1 }).waitFor();
    await page.locator('.badge', { hasText: 'Chờ duyệt' }).waitFor();
    // Said again where it is read before approval: on the bulletin, beside its audio.
    await page
      .getByTestId('media-warnings')
      .getByText(/^Bản ghi quá nhỏ/)
      .waitFor();
    // Not theirs to approve: an editor sees no approval buttons.
    expect(await page.getByRole('button', { name: 'Phê duyệt' }).count()).toBe(0);
  });

  it("lets an approver approve it, and it shows on today's timeline", async () => {
    await signOut(page);
    await signIn(page, world.server.base, world.accounts.approver);
    await page.getByRole('navigation', { name: 'Mục chính' }).getByRole('link', { name: 'Bản tin' }).click();
    await page.getByRole('button', { name: 'Chờ duyệt' }).click();
    await page.getByRole('link', { name: title }).click();
    await page.getByRole('button', { name: 'Phê duyệt' }).click();
    await page.locator('.badge', { hasText: 'Đã duyệt' }).waitFor();

    await page.getByRole('navigation', { name: 'Mục chính' }).getByRole('link', { name: 'Tổng quan' }).click();
    const row = page.getByRole('region', { name: 'Cụm loa chưa thuộc vùng nào' });
    await row.getByText(title).waitFor();
    expect(await row.locator('.tl-item').count()).toBe(1);
  });

  it('lets an approver reject a bulletin with a reason that the editor then reads', async () => {
    // Written and submitted through the API by the editor, so this test is about rejecting.
    const editor = new ApiClient(world.server.base);
    await editor.login(world.accounts.editor.username, world.accounts.editor.password);
    const media = await editor.upload<{ sha256: string }>(makeTone(work, 2, 'sai.mp3', 660));
    expect(media.status).toBe(201);
    const b = await editor.post<{ id: string }>('/api/bulletins', {
      title: 'Thông báo bị sai ngày',
      level: 'ordinary',
      mediaSha256: media.body.sha256,
      targets: { commune: true },
      recurrence: { days: [0, 1, 2, 3, 4, 5, 6] },
      validFrom: new Date().toISOString(),
      validUntil: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    expect((await editor.post(`/api/bulletins/${b.body.id}/submit`)).status).toBe(200);
    rejectedId = b.body.id;

    await page.goto(`${world.server.base}/#/bulletins/${b.body.id}`);
    await page.getByRole('button', { name: 'Từ chối', exact: true }).click();
    const reason = 'Sai ngày tiêm phòng: sửa thành thứ Bảy rồi gửi lại.';
    await page.getByLabel('Lý do từ chối').fill(reason);
    await page.getByRole('button', { name: 'Từ chối bản tin' }).click();
    await page.locator('.badge', { hasText: 'Bị từ chối' }).waitFor();
    // Not theirs: the approver may not edit the editor's bulletin.
    expect(await page.getByRole('link', { name: 'Sửa', exact: true }).count()).toBe(0);

    await signOut(page);
    await signIn(page, world.server.base, world.accounts.editor);
    await page.goto(`${world.server.base}/#/bulletins/${b.body.id}`);
    const note = page.getByText('Bị từ chối vì:');
    await note.waitFor();
    expect(await note.textContent()).toContain(reason);
    // The editor may correct and send it again.
    await page.getByRole('button', { name: 'Gửi duyệt' }).waitFor();
  });

  it('lets the editor edit the rejected bulletin: only what changed is saved, and it is a draft again', async () => {
    const before = (await world.server.admin.get<Record<string, unknown>>(`/api/bulletins/${rejectedId}`)).body;
    await page.getByRole('link', { name: 'Sửa', exact: true }).click();
    await page.getByRole('heading', { name: 'Sửa bản tin', level: 1 }).waitFor();
    expect(await page.getByLabel('Tiêu đề').inputValue()).toBe('Thông báo bị sai ngày');
    expect(await page.getByText(/đã bị từ chối vì: Sai ngày tiêm phòng/).count()).toBe(1);
    await page.getByTestId('media-ready').waitFor();

    // Nothing changed yet: said so, and nothing is sent.
    await page.getByRole('button', { name: 'Lưu thay đổi' }).click();
    await page.getByRole('alert').getByText('Chưa có gì thay đổi. Hãy sửa ít nhất một ô rồi lưu.').waitFor();

    await page.getByLabel('Tiêu đề').fill('Thông báo tiêm phòng thứ Bảy');
    await page.getByRole('button', { name: 'Lưu thay đổi' }).click();
    await page.getByRole('heading', { name: 'Thông báo tiêm phòng thứ Bảy', level: 1 }).waitFor();
    await page.locator('.badge', { hasText: 'Nháp' }).waitFor();
    await page.getByRole('button', { name: 'Gửi duyệt' }).waitFor();
    // Stored so: the title and the state changed, the rest (validity to the millisecond) did not.
    const after = (await world.server.admin.get<Record<string, unknown>>(`/api/bulletins/${rejectedId}`)).body;
    expect(after).toEqual({ ...before, title: 'Thông báo tiêm phòng thứ Bảy', state: 'draft' });
    const audit = await world.server.admin.get<{ entries: Array<{ subject: string; username: string }> }>(
      '/api/audit?action=bulletin.edit',
    );
    expect(audit.body.entries).toMatchObject([{ subject: rejectedId, username: world.accounts.editor.username }]);
  });

  it("explains in Vietnamese why the server refuses a time outside the windows, and keeps the operator's input", async () => {
    await page.goto(`${world.server.base}/#/bulletins/new`);
    await page.getByLabel('Tiêu đề').fill('Phát lúc nửa đêm');
    await page.getByLabel('Chọn tệp âm thanh').setInputFiles(makeTone(work, 2, 'dem.mp3', 330));
    await page.getByTestId('media-ready').waitFor({ timeout: 20_000 });
    // A tone at a usual level reaches the target: no warning.
    expect(await page.getByTestId('media-warnings').count()).toBe(0);
    await page.getByLabel('Vào giờ cố định').check();
    await page.getByLabel('Giờ phát', { exact: true }).fill(clockIn(180));
    await page.getByRole('button', { name: 'Lưu và gửi duyệt' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const text = await alert.textContent();
    expect(text).toContain('Chỉ bản tin khẩn cấp mới được phát ngoài khung giờ phát');
    // The server's precise sentence names the windows.
    expect(text).toMatch(/windows \(\d\d:\d\d/);
    expect(await page.getByLabel('Tiêu đề').inputValue()).toBe('Phát lúc nửa đêm');
  });

  it('records a bulletin from the microphone and keeps it as a draft', async () => {
    // A fresh form, as an operator opens it (the last test left this one filled in).
    await page.goto(`${world.server.base}/#/bulletins`);
    await page.getByRole('link', { name: 'Soạn bản tin' }).click();
    await page.getByLabel('Tiêu đề').fill('Ghi âm từ micrô');
    await page.getByLabel('Ghi âm bằng micrô').check();
    await page.getByRole('button', { name: 'Bắt đầu ghi âm' }).click();
    await page.getByText('Đang ghi').waitFor();
    await page.waitForTimeout(2500);
    await page.getByRole('button', { name: 'Dừng ghi' }).click();
    await page.getByTestId('media-ready').waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Lưu nháp' }).click();
    await page.getByRole('heading', { name: 'Ghi âm từ micrô', level: 1 }).waitFor();
    await page.locator('.badge', { hasText: 'Nháp' }).waitFor();

    // What the server stored is the recording: WebM/Opus from the page, transcoded, ~2.5 s long.
    const list = await world.server.admin.get<{ media: Array<{ originalName: string | null; durationMs: number }> }>(
      '/api/media',
    );
    const recorded = list.body.media.find((m) => m.originalName?.startsWith('ghi-am-'));
    expect(recorded?.originalName).toMatch(/\.webm$/);
    expect(recorded!.durationMs).toBeGreaterThan(1500);
    expect(recorded!.durationMs).toBeLessThan(5000);
  });
});
