// Communes, windows, quiet hours, zones and the timeline through the real app.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, toZoned } from '@loa/shared';
import { replansAfter } from '../testing/replans.js';
import { startServer, type TestServer } from '../testing/start-server.js';

type Timeline = {
  plans: Array<{ unitIds: string[]; windows: Array<{ startAt: number }>; items: Array<{ startAt: number }> }>;
};
const planOf = (tl: Timeline, unit: string) => tl.plans.find((p) => p.unitIds.includes(unit))!;

describe('communes, windows and zones', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
    await server.admin.post('/api/communes', { id: 'tu-le', name: 'Xã Tú Lệ', timeZone: 'Asia/Ho_Chi_Minh' });
    await server.admin.post('/api/communes/tu-le/villages', { id: 'ban-chao', name: 'Bản Chao' });
    for (const id of ['cum-1', 'cum-2', 'cum-3'])
      await server.admin.post('/api/units', { id, name: id, communeId: 'tu-le', villageId: 'ban-chao' });
  });
  afterAll(async () => server?.close());

  it('creates a commune with the default windows and quiet hours', async () => {
    const res = await server.admin.get<{
      windows: Array<{ id: string; start: string; end: string }>;
      quietHours: unknown;
    }>('/api/communes/tu-le');
    expect(res.body.windows).toEqual([
      { id: 'morning', start: '05:00', end: '07:30' },
      { id: 'evening', start: '17:00', end: '19:00' },
    ]);
    expect(res.body.quietHours).toEqual({ start: '22:00', end: '05:00' });
  });

  it.each([
    ['a window that ends when it starts', [{ id: 'a', start: '06:00', end: '06:00' }], /same time/],
    [
      'overlapping windows',
      [
        { id: 'a', start: '05:00', end: '07:00' },
        { id: 'b', start: '06:30', end: '08:00' },
      ],
      /overlap/,
    ],
    ['a window inside the quiet hours', [{ id: 'night', start: '03:00', end: '04:00' }], /quiet hours 22:00–05:00/],
  ])('refuses %s, naming the window, and keeps the old ones', async (_n, windows, message) => {
    const res = await server.admin.put<{ message: string; field: string }>('/api/communes/tu-le/windows', { windows });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
    expect(res.body.field).toBe('windows');
    expect((await server.admin.get<{ windows: unknown[] }>('/api/communes/tu-le')).body.windows).toHaveLength(2);
  });

  it('refuses, with quiet hours off, a window whose end was typed before its start, naming its end', async () => {
    await server.admin.post('/api/communes', { id: 'dem', name: 'Xã không giờ yên tĩnh', quietHours: null });
    const put = (windows: unknown) =>
      server.admin.put<{ error: string; message: string; field: string }>('/api/communes/dem/windows', { windows });
    const res = await put([
      { id: 'morning', start: '05:00', end: '07:30' },
      { id: 'evening', start: '19:00', end: '17:00' },
    ]);
    expect(res.status).toBe(400);
    expect(res.body.field).toBe('windows.1.end');
    expect(res.body.message).toMatch(/evening.*ends before it starts.*22 h/);
    const zone = await server.admin.post<{ field: string }>('/api/zones', {
      id: 'dem-z',
      communeId: 'dem',
      name: 'Z',
      unitIds: [],
      windows: [{ id: 'night', start: '18:00', end: '07:00' }],
    });
    expect(zone.status).toBe(400);
    expect(zone.body.field).toBe('windows.0.end');
    // A real night window still crosses midnight.
    expect((await put([{ id: 'night', start: '21:30', end: '00:30' }])).status).toBe(200);
  });

  it('refuses an unknown time zone and a village of another commune', async () => {
    const tz = await server.admin.request<{ field: string }>('PATCH', '/api/communes/tu-le', {
      timeZone: 'Mars/Olympus',
    });
    expect(tz.status).toBe(400);
    expect(tz.body.field).toBe('timeZone');
    const unit = await server.admin.request<{ field: string }>('PATCH', '/api/units/cum-1', { villageId: 'nowhere' });
    expect(unit.status).toBe(400);
    expect(unit.body.field).toBe('villageId');
  });

  it('saves a zone with its units and windows in one piece, or nothing', async () => {
    const bad = await server.admin.post<{ field: string }>('/api/zones', {
      id: 'cho',
      communeId: 'tu-le',
      name: 'Chợ',
      unitIds: ['cum-1', 'ghost'],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('unitIds');
    expect((await server.admin.get('/api/zones/cho')).status).toBe(404);
    const ok = await server.admin.post<{ unitIds: string[] }>('/api/zones', {
      id: 'cho',
      communeId: 'tu-le',
      name: 'Chợ',
      unitIds: ['cum-1', 'cum-2'],
      windows: [{ id: 'morning', start: '06:00', end: '06:30' }],
    });
    expect(ok.status).toBe(201);
    expect(ok.body.unitIds).toEqual(['cum-1', 'cum-2']);
  });

  it('shows a day on the commune timeline, zone windows overriding, and refuses to delete a zone in use', async () => {
    const work = mkdtempSync(join(tmpdir(), 'loa-tl-'));
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=duration=60', join(work, 'm.mp3')]);
    const sha = (await server.admin.upload<{ sha256: string }>(join(work, 'm.mp3'))).body.sha256;
    const tomorrow = addDays(toZoned(Date.now(), 'Asia/Ho_Chi_Minh').date, 1);
    const editor = await server.userClient('editor');
    const approver = await server.userClient('approver');
    const b = await editor.post<{ id: string }>('/api/bulletins', {
      communeId: 'tu-le',
      title: 'Lịch tiêm phòng',
      level: 'priority',
      mediaSha256: sha,
      targets: { commune: true },
      recurrence: { days: [0, 1, 2, 3, 4, 5, 6], windowIds: ['morning'] },
      validFrom: new Date().toISOString(),
      validUntil: new Date(Date.now() + 3 * 86400_000).toISOString(),
    });
    expect(b.status).toBe(201);
    expect((await editor.post(`/api/bulletins/${b.body.id}/submit`)).status).toBe(200);
    expect((await approver.post(`/api/bulletins/${b.body.id}/approve`)).status).toBe(200);

    const tl = await server.admin.get<Timeline>(`/api/communes/tu-le/timeline?date=${tomorrow}`);
    expect(tl.status).toBe(200);
    const startOf = (unit: string) => toZoned(planOf(tl.body, unit).items[0]!.startAt, 'Asia/Ho_Chi_Minh').seconds;
    expect(startOf('cum-1')).toBe(6 * 3600); // the market zone's morning window
    expect(startOf('cum-3')).toBe(5 * 3600); // the commune's
    // Each plan once, with the units that follow it: the market zone's two units share theirs.
    expect(tl.body.plans.map((p) => p.unitIds)).toEqual([['cum-1', 'cum-2'], ['cum-3']]);
    const plan = await server.admin.get<{ items: unknown[] }>(`/api/units/cum-3/plan?date=${tomorrow}`);
    expect(plan.body.items).toHaveLength(1);

    await server.admin.post('/api/bulletins', {
      communeId: 'tu-le',
      title: 'Chợ phiên',
      level: 'ordinary',
      mediaSha256: sha,
      targets: { zoneIds: ['cho'] },
      recurrence: { days: [0, 1, 2, 3, 4, 5, 6] },
      validFrom: new Date().toISOString(),
      validUntil: new Date(Date.now() + 86400_000).toISOString(),
    });
    const del = await server.admin.request<{ error: string }>('DELETE', '/api/zones/cho');
    expect(del.status).toBe(409);
    expect(del.body.error).toBe('zone-in-use');
    expect((await server.admin.get(`/api/communes/tu-le/timeline?date=2026-02-30`)).status).toBe(400);
  });

  it("names each overbooked item's bulletin by its title, on the commune timeline and a unit's plan", async () => {
    // The minute of sound the timeline test above uploaded.
    const media = await server.admin.get<{ media: Array<{ sha256: string; durationMs: number }> }>('/api/media');
    const sha = media.body.media.find((m) => m.durationMs >= 59_000)!.sha256;
    const tomorrow = addDays(toZoned(Date.now(), 'Asia/Ho_Chi_Minh').date, 1);
    const editor = await server.userClient('editor', { username: 'editor-overbooked' });
    const approver = await server.userClient('approver', { username: 'approver-overbooked' });
    // 20 airings of a minute, a minute apart (39 min), into the market zone's 30-minute morning.
    const b = await editor.post<{ id: string }>('/api/bulletins', {
      communeId: 'tu-le',
      title: 'Chợ phiên cuối năm',
      level: 'ordinary',
      mediaSha256: sha,
      targets: { zoneIds: ['cho'] },
      recurrence: { days: [0, 1, 2, 3, 4, 5, 6], windowIds: ['morning'] },
      repeat: { count: 20, gapSeconds: 60 },
      validFrom: new Date().toISOString(),
      validUntil: new Date(Date.now() + 3 * 86400_000).toISOString(),
    });
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    expect((await editor.post(`/api/bulletins/${b.body.id}/submit`)).status).toBe(200);
    const runsAtApproval = server.app.services.plans.runs().length;
    expect((await approver.post(`/api/bulletins/${b.body.id}/approve`)).status).toBe(200);

    type Overbooked = { unitId: string; bulletinId: string; reason: string; title: string | null };
    const tl = await server.admin.get<{ overbooked: Overbooked[] }>(`/api/communes/tu-le/timeline?date=${tomorrow}`);
    const mine = tl.body.overbooked.filter((o) => o.bulletinId === b.body.id);
    expect(new Set(mine.map((o) => o.unitId))).toEqual(new Set(['cum-1', 'cum-2']));
    for (const o of mine) expect(o).toMatchObject({ reason: 'window-full', title: 'Chợ phiên cuối năm' });
    const plan = await server.admin.get<{ overbooked: Overbooked[] }>(`/api/units/cum-1/plan?date=${tomorrow}`);
    expect(plan.body.overbooked.length).toBeGreaterThan(0);
    for (const o of plan.body.overbooked) expect(o).toMatchObject({ unitId: 'cum-1', title: 'Chợ phiên cuối năm' });

    // What the published plans could not fit, as the last re-plan of each commune found it: a
    // re-plan of another commune (its windows moved) leaves this one's list as it was.
    const plans = server.app.services.plans;
    const listed = async () =>
      (await server.admin.get<{ overbooked: Overbooked[] }>('/api/plans/overbooked')).body.overbooked.filter(
        (o) => o.bulletinId === b.body.id,
      ).length;
    await replansAfter(plans, runsAtApproval);
    const found = await listed();
    expect(found).toBeGreaterThan(0);
    const runs = plans.runs().length;
    server.app.services.communes.setWindows('dem', [{ id: 'evening', start: '17:00', end: '19:30' }]);
    await replansAfter(plans, runs);
    expect(plans.runs().at(-1)).toMatchObject({ why: 'change', communes: ['dem'] });
    expect(await listed()).toBe(found);
  });

  it('answers an unchanged timeline from what it sent, with its tag, and plans again after any change', async () => {
    const path = '/api/communes/tu-le/timeline';
    const first = await server.admin.fetchRaw(path);
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]{27}"$/);
    const before = (await first.json()) as Timeline;
    expect(before.plans.flatMap((p) => p.unitIds).sort()).toEqual(['cum-1', 'cum-2', 'cum-3']);
    // A browser holding it asks with its tag: nothing to send.
    const held = await server.admin.fetchRaw(path, { 'if-none-match': `"other", ${etag}` });
    expect(held.status).toBe(304);
    expect(await held.text()).toBe('');
    // Without the tag, the same answer.
    const again = await server.admin.fetchRaw(path);
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.json()).toEqual(before);

    // Any change is seen at once, under a new tag: the commune's morning window moved…
    const windows = [
      { id: 'morning', start: '05:30', end: '07:30' },
      { id: 'evening', start: '17:00', end: '19:00' },
    ];
    expect((await server.admin.put('/api/communes/tu-le/windows', { windows })).status).toBe(200);
    const moved = await server.admin.fetchRaw(path, { 'if-none-match': etag });
    expect(moved.status).toBe(200);
    const movedTag = moved.headers.get('etag')!;
    expect(movedTag).not.toBe(etag);
    const cum3 = planOf((await moved.json()) as Timeline, 'cum-3');
    expect(toZoned(cum3.windows[0]!.startAt, 'Asia/Ho_Chi_Minh').seconds).toBe(5.5 * 3600);
    // …or a unit added to the commune.
    await server.admin.post('/api/units', { id: 'cum-4', name: 'cum-4', communeId: 'tu-le' });
    const added = await server.admin.fetchRaw(path, { 'if-none-match': movedTag });
    expect(added.status).toBe(200);
    expect(planOf((await added.json()) as Timeline, 'cum-4').unitIds).toEqual(['cum-3', 'cum-4']);
    // Each day has its own tag; the bad cases are refused as ever, whatever tag is held.
    const tomorrow = addDays(toZoned(Date.now(), 'Asia/Ho_Chi_Minh').date, 1);
    const other = await server.admin.fetchRaw(`${path}?date=${tomorrow}`, { 'if-none-match': movedTag });
    expect(other.status).toBe(200);
    expect(other.headers.get('etag')).not.toBe(added.headers.get('etag'));
    expect((await server.admin.fetchRaw(`${path}?date=2026-13-01`, { 'if-none-match': '*' })).status).toBe(400);
    expect((await server.admin.fetchRaw('/api/communes/khong-co/timeline', { 'if-none-match': '*' })).status).toBe(404);
  });
});
