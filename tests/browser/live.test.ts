// Issue #8 in the browser: the leader speaks live from the page. Chromium's fake microphone (a
// beeping source) is captured and encoded to 20 ms Opus packets by WebCodecs, sent over the
// session's socket to the real server, and played by a real agent process into its file sink: what
// the loudspeaker would have said is read back from the WAV it wrote. Also: the AudioWorklet path
// of browsers without MediaStreamTrackProcessor, the refusals (no right, a unit already live, no
// microphone, a refused microphone, a browser without WebCodecs), and the screen on a phone.
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startAgent, type AgentProcess } from '../support/agent.js';
import { relaySwitches } from '../support/agent-e2e.js';
import { waitFor } from '../support/wait.js';
import { openBrowser, screenshot, type Browser } from './support/browser.js';
import { signIn, signOut } from './support/page.js';
import { startWorld, TZ, windowAroundNow, type World } from './support/world.js';
import { formatClock, toZoned } from '@loa/shared';

const UNIT = 'cum-dinh';
const UNIT_NAME = 'Cụm loa đình';

interface SinkRecord {
  itemId: string;
  file: string;
  startedAt: number;
  endedAt: number;
  samples: number;
}

interface LiveView {
  id: string;
  level: 'normal' | 'emergency';
  startedBy: { id: number; name: string };
  endedAt: number | null;
  endReason: string | null;
  units: { unitId: string; state: string }[];
  frames: { received: number; dropped: number };
}

/** What the loudspeaker said: the WAV's length and how loud it was (16-bit mono 48 kHz). */
function listen(dir: string, rec: SinkRecord) {
  const wav = readFileSync(join(dir, rec.file));
  const pcm = new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.length));
  let peak = 0;
  let loud = 0;
  for (const s of pcm) {
    const a = Math.abs(s);
    if (a > peak) peak = a;
    if (a > 1000) loud++;
  }
  return { ms: pcm.length / 48, peak, loudMs: loud / 48 };
}

/** Remembers every microphone stream the page opens, to tell afterwards whether it was released. */
const KEEP_STREAMS = () => {
  const w = window as unknown as { __streams: MediaStream[] };
  w.__streams = [];
  const original = navigator.mediaDevices?.getUserMedia?.bind(navigator.mediaDevices);
  if (!original) return;
  navigator.mediaDevices.getUserMedia = async (c) => {
    const s = await original(c);
    w.__streams.push(s);
    return s;
  };
};
const liveTracks = (page: Page) =>
  page.evaluate(
    () =>
      (window as unknown as { __streams: MediaStream[] }).__streams.flatMap((s) =>
        s.getTracks().filter((t) => t.readyState === 'live'),
      ).length,
  );

/** A change sent from inside the page exactly as the app sends it (session cookie + CSRF header). */
function fromPage(page: Page, path: string, body: unknown) {
  return page.evaluate(
    async ({ path, body }) => {
      const csrf = /(?:^|;\s*)loa_csrf=([^;]*)/.exec(document.cookie)?.[1] ?? '';
      const res = await fetch(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': decodeURIComponent(csrf) },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as { error?: string } };
    },
    { path, body },
  );
}

describe('the live screen', () => {
  let world: World;
  let agent: AgentProcess;
  let browser: Browser;
  let page: Page;
  const extra: Browser[] = [];
  const work = mkdtempSync(join(tmpdir(), 'loa-live-browser-'));
  const relayFile = join(work, 'relay.jsonl');
  const nav = (p: Page) => p.getByRole('navigation', { name: 'Mục chính' });

  const sinkRecords = (): SinkRecord[] => {
    const file = join(agent.sinkDir, 'sink.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as SinkRecord);
  };
  const sessions = async () => (await world.server.admin.get<{ sessions: LiveView[] }>('/api/live')).body.sessions;

  /** Opens the screen, picks the one unit, presses start; resolves with the session's id once it plays. */
  async function goLive(p: Page): Promise<string> {
    await nav(p).getByRole('link', { name: 'Phát trực tiếp' }).click();
    await p.getByRole('heading', { name: 'Phát trực tiếp', level: 1 }).waitFor();
    await p.getByLabel('Toàn xã').uncheck();
    await p.getByLabel(UNIT_NAME).check();
    await p.getByRole('button', { name: 'Bắt đầu phát' }).click();
    await p.locator(`[data-unit="${UNIT}"] .badge`, { hasText: 'Đang phát' }).waitFor({ timeout: 20_000 });
    return (await p.locator('[data-session]').getAttribute('data-session'))!;
  }

  async function stopLive(p: Page, id: string): Promise<{ rec: SinkRecord; stoppedAt: number }> {
    const stoppedAt = Date.now();
    await p.getByRole('button', { name: 'Dừng phát' }).click();
    await p.getByText('Đã dừng phát lúc').waitFor();
    // The unit's record of the session closes: the loudspeaker stopped.
    const rec = await waitFor(
      `the sink record of live:${id}`,
      () => sinkRecords().find((r) => r.itemId === `live:${id}`),
      10_000,
    );
    return { rec, stoppedAt };
  }

  beforeAll(async () => {
    world = await startWorld({ roles: ['approver', 'editor', 'viewer'] });
    const created = await world.server.admin.post<{ secret: string; serverPublicKey: string }>('/api/units', {
      id: UNIT,
      name: UNIT_NAME,
    });
    await world.server.admin.post('/api/units', { id: 'cum-cho', name: 'Cụm loa chợ' });
    mkdirSync(join(work, UNIT));
    agent = startAgent({
      mqttUrl: world.server.mqttUrl,
      unit: UNIT,
      secret: created.body.secret,
      serverKeyPem: created.body.serverPublicKey,
      dataDir: join(work, UNIT),
      args: ['--relay', `file:${relayFile}`, '--warmup-ms', '300'],
    });
    await waitFor(
      `${UNIT} online`,
      async () =>
        (await world.server.admin.get<{ online: boolean }>(`/api/units/${UNIT}`)).body.online ? true : undefined,
      40_000,
    );
    browser = await openBrowser({ microphone: true });
    page = browser.page;
    await page.addInitScript(KEEP_STREAMS);
    await signIn(page, world.server.base, world.accounts.approver);
  });
  afterEach(async (ctx) => {
    await screenshot(page, `live-${ctx.task.name}`);
  });
  afterAll(async () => {
    for (const b of extra) await b.close().catch(() => undefined);
    await browser?.close();
    await agent?.kill('SIGKILL');
    await world?.close();
  });

  it('is refused outside the broadcast windows, in words (rule 1)', async () => {
    // One window an hour long that does not hold now (before it if the day allows, else after).
    const nowS = Math.floor(toZoned(Date.now(), TZ).seconds / 60) * 60;
    const startS = nowS >= 4 * 3600 ? nowS - 3 * 3600 : nowS + 2 * 3600;
    expect((await world.server.admin.patch('/api/communes/default', { quietHours: null })).status).toBe(200);
    const res = await world.server.admin.put('/api/communes/default/windows', {
      windows: [{ id: 'test', start: formatClock(startS), end: formatClock(startS + 3600) }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await nav(page).getByRole('link', { name: 'Phát trực tiếp' }).click();
    await page.getByLabel('Toàn xã').uncheck();
    await page.getByLabel(UNIT_NAME).check();
    await page.getByRole('button', { name: 'Bắt đầu phát' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Đang ngoài khung giờ phát nên chưa phát trực tiếp được');
    expect(await alert.textContent()).toContain(UNIT);
    expect(await liveTracks(page)).toBe(0);
    expect(await sessions()).toEqual([]);
    // The leader may sound an emergency: ticked, the same voice goes out at once, window or not.
    await page.getByLabel('Phát trực tiếp khẩn cấp').check();
    await page.getByRole('button', { name: 'Bắt đầu phát' }).click();
    await page.locator(`[data-unit="${UNIT}"] .badge`, { hasText: 'Đang phát' }).waitFor({ timeout: 20_000 });
    const id = (await page.locator('[data-session]').getAttribute('data-session'))!;
    expect((await sessions()).map((x) => [x.id, x.level])).toEqual([[id, 'emergency']]);
    // A second of voice (50 packets) before the stop, past the unit's warm-up and jitter buffer.
    await waitFor('a second of voice', async () =>
      ((await sessions())[0]?.frames.received ?? 0) >= 50 ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 500));
    const { rec } = await stopLive(page, id);
    expect(rec.samples).toBeGreaterThan(0);
    await page.getByLabel('Phát trực tiếp khẩn cấp').uncheck();
    // From here on, a window is open.
    await windowAroundNow(world.server);
    await page.reload();
  });

  it('speaks from the microphone to a unit: level meter, the unit playing, its loudspeaker says it', async () => {
    await nav(page).getByRole('link', { name: 'Phát trực tiếp' }).click();
    await page.getByRole('heading', { name: 'Phát trực tiếp', level: 1 }).waitFor();
    expect(await page.getByRole('slider', { name: /Âm lượng/ }).inputValue()).toBe('80');
    await page.getByText('Hiện không có ai phát trực tiếp.').waitFor();
    // Nothing chosen: said in words, nothing asked of the microphone or the server.
    await page.getByLabel('Toàn xã').uncheck();
    await page.getByRole('button', { name: 'Bắt đầu phát' }).click();
    await page.getByText('Hãy chọn cả xã, hoặc ít nhất một vùng hay một cụm loa.').waitFor();
    expect(await sessions()).toEqual([]);

    const id = await goLive(page);
    expect(id).toMatch(/^live-/);
    await page.getByText('Thu âm: MediaStreamTrackProcessor').waitFor();
    // The meter follows the microphone: the fake one beeps, so the level goes up and down.
    const meter = page.getByRole('meter', { name: 'Mức micro' });
    const levels: number[] = [];
    for (let i = 0; i < 40; i++) {
      levels.push(Number(await meter.getAttribute('value')));
      await page.waitForTimeout(100);
    }
    expect(Math.max(...levels), levels.join(' ')).toBeGreaterThan(0.3);
    expect(Math.max(...levels) - Math.min(...levels), levels.join(' ')).toBeGreaterThan(0.2);
    // The time on air counts.
    expect(await page.getByRole('timer', { name: 'Thời gian đã phát' }).textContent()).toMatch(/^0:0[1-9]$/);
    // The leader's session is in the commune's list, for everyone to see.
    const mine = page.locator(`[data-live-session="${id}"]`);
    await mine.waitFor();
    expect(await mine.textContent()).toContain(world.accounts.approver.username);
    expect(await mine.textContent()).toContain(UNIT_NAME);
    // The server gets a packet every 20 ms and drops none.
    const view = await waitFor(
      'a second of packets',
      async () => {
        const v = (await world.server.admin.get<LiveView>(`/api/live/${id}`)).body;
        return v.frames.received >= 50 ? v : undefined;
      },
      10_000,
    );
    expect(view.frames.dropped).toBe(0);
    expect(view.units).toEqual([expect.objectContaining({ unitId: UNIT, state: 'ok' })]);
    // The amplifier is on while live.
    expect(relaySwitches(relayFile).at(-1)?.on).toBe(true);
    await page.waitForTimeout(2000);

    const { rec, stoppedAt } = await stopLive(page, id);
    // The unit stopped within a couple of seconds of the button, having played what it got.
    expect(rec.endedAt - stoppedAt).toBeLessThan(2000);
    const heard = listen(agent.sinkDir, rec);
    expect(heard.ms).toBeGreaterThan(3000);
    expect(heard.peak, 'the loudspeaker said something').toBeGreaterThan(3000);
    expect(heard.loudMs).toBeGreaterThan(250);
    const ended = (await world.server.admin.get<LiveView>(`/api/live/${id}`)).body;
    expect(ended.endedAt).not.toBeNull();
    expect(ended.endReason).toContain(world.accounts.approver.username);
    expect(await sessions()).toEqual([]);
    // The microphone was released, and the screen is ready for the next time.
    expect(await liveTracks(page)).toBe(0);
    await page.getByRole('button', { name: 'Bắt đầu phát' }).waitFor();
    expect(await page.locator('[data-unit]').count()).toBe(0);
  });

  it('refuses a second session on a unit already live, with the server’s words', async () => {
    const admin = await world.server.admin.post<LiveView>('/api/live', {
      communeId: 'default',
      targets: { unitIds: [UNIT] },
      volume: 50,
    });
    expect(admin.status, JSON.stringify(admin.body)).toBe(201);
    try {
      await page.reload();
      await page.getByRole('heading', { name: 'Phát trực tiếp', level: 1 }).waitFor();
      // Who is live now, before anyone presses anything.
      await page.locator(`[data-live-session="${admin.body.id}"]`).waitFor();
      await page.getByLabel('Toàn xã').uncheck();
      await page.getByLabel(UNIT_NAME).check();
      await page.getByRole('button', { name: 'Bắt đầu phát' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      const text = (await alert.textContent())!;
      expect(text).toContain('Có cụm loa đang trong phiên phát trực tiếp của người khác');
      // The server's message names the unit and who holds it.
      expect(text).toContain(UNIT);
      expect(text).toContain(admin.body.startedBy.name);
      // Refused: the microphone is released at once, and there is still one session.
      expect(await liveTracks(page)).toBe(0);
      expect((await sessions()).map((s) => s.id)).toEqual([admin.body.id]);
      await page.getByRole('button', { name: 'Bắt đầu phát' }).waitFor();
    } finally {
      expect((await world.server.admin.post(`/api/live/${admin.body.id}/stop`, {})).status).toBe(200);
    }
  });

  it('shows a unit that cannot play, with its reason and what to do', async () => {
    const command = async (type: 'mute' | 'unmute') => {
      const res = await world.server.admin.post<{ id: string }>(`/api/units/${UNIT}/commands`, { type });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      await waitFor(
        `${type} acknowledged`,
        async () =>
          (await world.server.admin.get<{ state: string }>(`/api/units/${UNIT}/commands/${res.body.id}`)).body.state ===
          'acked'
            ? true
            : undefined,
        10_000,
      );
    };
    // The cluster's kill switch is on: the unit refuses to go live, and says so.
    await command('mute');
    try {
      await page.reload();
      await page.getByLabel('Toàn xã').uncheck();
      await page.getByLabel(UNIT_NAME).check();
      await page.getByRole('button', { name: 'Bắt đầu phát' }).click();
      const unit = page.locator(`[data-unit="${UNIT}"]`);
      await unit.locator('.badge', { hasText: 'Lỗi: the unit is muted; unmute it first' }).waitFor();
      expect(await unit.textContent()).toContain('Báo kỹ thuật viên kiểm tra cụm loa');
      await page.getByRole('button', { name: 'Dừng phát' }).click();
      await page.getByText('Đã dừng phát lúc').waitFor();
    } finally {
      await command('unmute');
    }
  });

  it('gives way to an emergency live broadcast, and says the session ended and why', async () => {
    const id = await goLive(page);
    const emergency = await world.server.admin.post<LiveView>('/api/live', {
      communeId: 'default',
      targets: { unitIds: [UNIT] },
      volume: 100,
      level: 'emergency',
    });
    expect(emergency.status, JSON.stringify(emergency.body)).toBe(201);
    try {
      const alert = page.getByRole('alert').filter({ hasText: 'Phiên phát trực tiếp đã kết thúc' });
      await alert.waitFor();
      // The server's reason, as it gave it.
      expect(await alert.textContent()).toContain('emergency live broadcast');
      expect(await liveTracks(page)).toBe(0);
      await page.getByRole('button', { name: 'Bắt đầu phát' }).waitFor();
      expect((await world.server.admin.get<LiveView>(`/api/live/${id}`)).body.endedAt).not.toBeNull();
      // The emergency is in the commune's list, marked as one.
      await page.locator(`[data-live-session="${emergency.body.id}"] .badge`, { hasText: 'Khẩn cấp' }).waitFor();
    } finally {
      expect((await world.server.admin.post(`/api/live/${emergency.body.id}/stop`, {})).status).toBe(200);
    }
  });

  it('comes back once after a dropped link; when it cannot, says the session ended', async () => {
    const received = async (id: string) =>
      (await world.server.admin.get<LiveView>(`/api/live/${id}`)).body.frames.received;
    // The server's end of every socket cut without a closing word, as a dead link does.
    const cut = () => {
      const wss = (world.server.app as unknown as { websocketServer: { clients: Set<{ terminate(): void }> } })
        .websocketServer;
      expect(wss.clients.size).toBeGreaterThan(0);
      for (const c of wss.clients) c.terminate();
    };
    const id = await goLive(page);
    await waitFor('packets', async () => ((await received(id)) > 25 ? true : undefined), 10_000);
    const retrying = page.getByText('Mất kết nối tới máy chủ, đang thử kết nối lại');
    cut();
    await retrying.waitFor();
    await retrying.waitFor({ state: 'detached' });
    const before = await received(id);
    await waitFor(
      'packets again on a new socket',
      async () => ((await received(id)) > before + 50 ? true : undefined),
      10_000,
    );
    expect(await page.locator(`[data-unit="${UNIT}"] .badge`).textContent()).toBe('Đang phát');
    expect((await world.server.admin.get<LiveView>(`/api/live/${id}`)).body.endedAt).toBeNull();

    // Cut again while the network is down: the one try fails, and the page says the session is over.
    await browser.context.setOffline(true);
    cut();
    await page
      .getByRole('alert')
      .filter({ hasText: 'Mất kết nối tới máy chủ nên phiên phát trực tiếp đã kết thúc' })
      .waitFor();
    expect(await liveTracks(page)).toBe(0);
    await page.getByRole('button', { name: 'Bắt đầu phát' }).waitFor();
    await browser.context.setOffline(false);
    // The server ends it too, on its own, once the audio has stopped for its idle time.
    const ended = await waitFor(
      'the session ended on the server',
      async () => {
        const v = (await world.server.admin.get<LiveView>(`/api/live/${id}`)).body;
        return v.endedAt !== null ? v : undefined;
      },
      15_000,
    );
    expect(ended.endReason).toMatch(/no audio/);
    await waitFor('the unit released', () => sinkRecords().find((r) => r.itemId === `live:${id}`), 10_000);
  });

  it('is not offered to a viewer or an editor, and the server refuses one started from the page', async () => {
    for (const role of ['viewer', 'editor'] as const) {
      await signOut(page);
      await signIn(page, world.server.base, world.accounts[role]);
      expect(await nav(page).getByRole('link', { name: 'Phát trực tiếp' }).count(), role).toBe(0);
      const res = await fromPage(page, '/api/live', {
        communeId: 'default',
        targets: { unitIds: [UNIT] },
        volume: 80,
      });
      expect(res, role).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    }
    expect(await sessions()).toEqual([]);
    await signOut(page);
    await signIn(page, world.server.base, world.accounts.approver);
  });

  it('says in words when there is no microphone, when it is refused, and when the browser cannot encode', async () => {
    const cases: { name: string; microphone: boolean; init?: () => void; text: string }[] = [
      // No fake device: headless Chromium has no microphone at all.
      { name: 'absent', microphone: false, text: 'Không tìm thấy micro: cắm micro' },
      {
        name: 'denied',
        microphone: true,
        // What the browser answers when the person (or the site settings) refuses the microphone.
        init: () => {
          navigator.mediaDevices.getUserMedia = () =>
            Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
        },
        text: 'Trình duyệt không được dùng micro: cho phép micro trong cài đặt trang rồi thử lại',
      },
      {
        name: 'no WebCodecs',
        microphone: true,
        init: () => {
          delete (window as unknown as { AudioEncoder?: unknown }).AudioEncoder;
        },
        text: 'Trình duyệt này không phát trực tiếp được; dùng Chrome, Edge hoặc Firefox bản mới',
      },
    ];
    for (const c of cases) {
      const b = await openBrowser({ microphone: c.microphone });
      extra.push(b);
      if (c.init) await b.page.addInitScript(c.init);
      await signIn(b.page, world.server.base, world.accounts.approver);
      await nav(b.page).getByRole('link', { name: 'Phát trực tiếp' }).click();
      await b.page.getByRole('heading', { name: 'Phát trực tiếp', level: 1 }).waitFor();
      await b.page.getByLabel('Toàn xã').uncheck();
      await b.page.getByLabel(UNIT_NAME).check();
      const start = b.page.getByRole('button', { name: 'Bắt đầu phát' });
      if (c.name === 'no WebCodecs') {
        // Said at once, and the button cannot be pressed.
        await b.page.getByRole('alert').filter({ hasText: c.text }).waitFor();
        expect(await start.isDisabled()).toBe(true);
      } else {
        await start.click();
        await b.page.getByRole('alert').filter({ hasText: c.text }).waitFor();
        await start.waitFor();
      }
      await screenshot(b.page, `live-refused-${c.name}`);
      // No session was opened for a voice that cannot be sent.
      expect(await sessions(), c.name).toEqual([]);
      await b.close();
      extra.splice(extra.indexOf(b), 1);
    }
  });

  it('works through the AudioWorklet where MediaStreamTrackProcessor does not exist', async () => {
    const b = await openBrowser({ microphone: true });
    extra.push(b);
    await b.page.addInitScript(() => {
      delete (window as unknown as { MediaStreamTrackProcessor?: unknown }).MediaStreamTrackProcessor;
    });
    await signIn(b.page, world.server.base, world.accounts.approver);
    const id = await goLive(b.page);
    await b.page.getByText('Thu âm: AudioWorklet').waitFor();
    await waitFor(
      'a second of packets',
      async () =>
        (await world.server.admin.get<LiveView>(`/api/live/${id}`)).body.frames.received >= 50 ? true : undefined,
      10_000,
    );
    await b.page.waitForTimeout(2000);
    const { rec } = await stopLive(b.page, id);
    const heard = listen(agent.sinkDir, rec);
    expect(heard.ms).toBeGreaterThan(2000);
    expect(heard.peak, 'the loudspeaker said something').toBeGreaterThan(3000);
    expect((await world.server.admin.get<LiveView>(`/api/live/${id}`)).body.frames.dropped).toBe(0);
    await screenshot(b.page, 'live-worklet');
  });

  it('fits a 360 px phone, and is used with the keyboard alone', async () => {
    const b = await openBrowser({ width: 360, height: 740, microphone: true });
    extra.push(b);
    const p = b.page;
    await signIn(p, world.server.base, world.accounts.approver);
    await p.goto(`${world.server.base}/#/live`);
    // In English on request, and back.
    await p.getByRole('button', { name: 'English' }).click();
    await p.getByRole('heading', { name: 'Live', level: 1 }).waitFor();
    await p.getByRole('button', { name: 'Start broadcasting' }).waitFor();
    await p.getByText('Nobody is live right now.').waitFor();
    await p.getByRole('button', { name: 'Tiếng Việt' }).click();
    await p.getByRole('heading', { name: 'Phát trực tiếp', level: 1 }).waitFor();
    await p.getByLabel('Toàn xã').uncheck();
    await p.getByLabel(UNIT_NAME).check();
    // Tab from the unit's box to the big button, and press it with Enter.
    await p.getByLabel(UNIT_NAME).focus();
    for (let i = 0; i < 10; i++) {
      await p.keyboard.press('Tab');
      if ((await p.evaluate(() => document.activeElement?.textContent?.trim())) === 'Bắt đầu phát') break;
    }
    expect(await p.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Bắt đầu phát');
    await p.keyboard.press('Enter');
    await p.locator(`[data-unit="${UNIT}"] .badge`, { hasText: 'Đang phát' }).waitFor({ timeout: 20_000 });
    const id = (await p.locator('[data-session]').getAttribute('data-session'))!;
    await p.waitForTimeout(500);
    const widths = await p.evaluate(() => ({ page: document.documentElement.scrollWidth, view: window.innerWidth }));
    expect(widths.page, `the page scrolls sideways: ${widths.page} px in ${widths.view}`).toBeLessThanOrEqual(
      widths.view,
    );
    await screenshot(p, 'live-phone-on-air');
    // The stop button is reached with the keyboard too.
    await p.getByRole('button', { name: 'Dừng phát' }).focus();
    await p.keyboard.press('Enter');
    await p.getByText('Đã dừng phát lúc').waitFor();
    expect((await world.server.admin.get<LiveView>(`/api/live/${id}`)).body.endedAt).not.toBeNull();

    // Leaving the screen while live ends the session at once, not after the server's idle time.
    await p.getByRole('button', { name: 'Bắt đầu phát' }).click();
    await p.locator(`[data-unit="${UNIT}"] .badge`, { hasText: 'Đang phát' }).waitFor({ timeout: 20_000 });
    const second = (await p.locator('[data-session]').getAttribute('data-session'))!;
    await p.goto(`${world.server.base}/#/dashboard`);
    const left = await waitFor(
      'the session ended with the page',
      async () => {
        const v = (await world.server.admin.get<LiveView>(`/api/live/${second}`)).body;
        return v.endedAt !== null ? v : undefined;
      },
      3000,
    );
    expect(left.endReason).toContain('closed the live page');
  });
});
