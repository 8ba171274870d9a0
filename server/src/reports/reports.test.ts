// As-run reports over real tables: planned items (recorded when plans are published) against the
// play log (folded from unit events).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromZoned } from '@loa/shared';
import { startServer, type TestServer } from '../testing/start-server.js';

const TZ = 'Asia/Ho_Chi_Minh';
const at = (date: string, clock: string) =>
  fromZoned(date, Number(clock.slice(0, 2)) * 3600 + Number(clock.slice(3)) * 60, TZ);

describe('GET /api/reports/as-run', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
    const { db } = server.app;
    for (const id of ['cum-a', 'cum-b', 'cum-c', 'cum-d'])
      await server.admin.post('/api/units', { id, name: `Cụm ${id.slice(-1).toUpperCase()}` });
    await server.admin.post('/api/zones', { id: 'cho', name: 'Chợ', unitIds: ['cum-a'] });
    // A zone with its own windows (DESIGN §4): its unit's windows are these, not the commune's.
    const zone = await server.admin.post('/api/zones', {
      id: 'ven-song',
      name: 'Ven sông',
      unitIds: ['cum-d'],
      windows: [
        { id: 'trua', start: '11:00', end: '12:00' },
        { id: 'chieu', start: '14:00', end: '15:00' },
      ],
    });
    expect(zone.status, JSON.stringify(zone.body)).toBe(201);
    // A second commune, for the printed report's second page.
    expect((await server.admin.post('/api/communes', { id: 'xa-hai', name: 'Xã Hai' })).status).toBe(201);
    db.prepare(
      `INSERT INTO bulletins (id, commune_id, title, level, state, targets, recurrence, valid_from, valid_until, created_at, updated_at)
       VALUES ('b-1', 'default', '=Thông báo, "tiêm phòng"', 'ordinary', 'approved', '{}', '{"days":[1]}', 0, 1, 0, 0)`,
    ).run();
    const plan = db.prepare('INSERT INTO planned_items VALUES (?, ?, ?, ?, ?, ?, 1)');
    const log = db.prepare(
      'INSERT INTO play_log (unit_id, item_id, bulletin_id, scheduled_at, started_at, duration_ms, outcome, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    // 3 Nov: A aired both items (5 + 3 min); B's item failed. 4 Nov: B had one item and never reported.
    plan.run('cum-a', 'i1', 'b-1', at('2026-11-03', '05:00'), 300_000, 'ordinary');
    plan.run('cum-a', 'i2', 'b-1', at('2026-11-03', '17:00'), 180_000, 'ordinary');
    plan.run('cum-b', 'i3', 'b-1', at('2026-11-03', '05:00'), 300_000, 'ordinary');
    plan.run('cum-b', 'i4', 'b-1', at('2026-11-04', '05:00'), 300_000, 'ordinary');
    log.run('cum-a', 'i1', 'b-1', at('2026-11-03', '05:00'), at('2026-11-03', '05:00'), 300_000, 'finished', null);
    log.run('cum-a', 'i2', 'b-1', at('2026-11-03', '17:00'), at('2026-11-03', '17:00'), 180_000, 'finished', null);
    log.run('cum-b', 'i3', 'b-1', at('2026-11-03', '05:00'), null, null, 'failed', 'ALSA device busy');
    // C aired the morning window and missed the evening one; D (the commune's windows do not apply)
    // aired one of two items of its 11:00 window and missed its 14:00 window.
    plan.run('cum-c', 'i5', 'b-1', at('2026-11-03', '05:10'), 120_000, 'ordinary');
    plan.run('cum-c', 'i6', 'b-1', at('2026-11-03', '17:10'), 120_000, 'ordinary');
    plan.run('cum-d', 'i7', 'b-1', at('2026-11-03', '11:10'), 60_000, 'ordinary');
    plan.run('cum-d', 'i8', 'b-1', at('2026-11-03', '11:20'), 60_000, 'ordinary');
    plan.run('cum-d', 'i9', 'b-1', at('2026-11-03', '14:10'), 60_000, 'ordinary');
    log.run('cum-c', 'i5', 'b-1', at('2026-11-03', '05:10'), at('2026-11-03', '05:10'), 120_000, 'finished', null);
    log.run('cum-c', 'i6', 'b-1', at('2026-11-03', '17:10'), null, null, 'failed', 'amplifier relay stuck');
    log.run('cum-d', 'i7', 'b-1', at('2026-11-03', '11:10'), at('2026-11-03', '11:10'), 60_000, 'finished', null);
    log.run('cum-d', 'i8', 'b-1', at('2026-11-03', '11:20'), null, null, 'skipped', 'media not in cache');
    log.run('cum-d', 'i9', 'b-1', at('2026-11-03', '14:10'), null, null, 'skipped', 'media not in cache');
  });
  afterAll(async () => server?.close());

  type Rows = {
    reports: Array<{
      rows: Array<{
        key: string;
        plannedCount: number;
        plannedMinutes: number;
        airedCount: number;
        airedMinutes: number;
        failedCount: number;
        reasons: Record<string, number>;
        missedUnits: string[];
        missedWindows: Array<{ unitId: string; unit: string; window: string }>;
      }>;
    }>;
  };
  const windows = (r: Rows['reports'][number]['rows'][number]) => r.missedWindows.map((w) => `${w.unitId} ${w.window}`);

  it('compares planned and aired per unit for a month, naming failures and missed windows', async () => {
    const res = await server.admin.get<Rows>('/api/reports/as-run?communeId=default&month=2026-11&groupBy=unit');
    expect(res.status).toBe(200);
    const [a, b] = res.body.reports[0]!.rows;
    expect(a).toMatchObject({
      key: 'cum-a',
      plannedCount: 2,
      plannedMinutes: 8,
      airedCount: 2,
      airedMinutes: 8,
      failedCount: 0,
      missedUnits: [],
    });
    expect(b).toMatchObject({ key: 'cum-b', plannedCount: 2, airedCount: 0, failedCount: 1, missedUnits: ['Cụm B'] });
    expect(b!.reasons).toEqual({ 'failed: ALSA device busy': 1, 'no report': 1 });
    expect(windows(b!)).toEqual(['cum-b 2026-11-03 05:00–07:30', 'cum-b 2026-11-04 05:00–07:30']);
  });

  it('lists a unit for each window it missed, though it aired another window that day (zone windows too)', async () => {
    const res = await server.admin.get<Rows>('/api/reports/as-run?communeId=default&month=2026-11&groupBy=unit');
    const [, , c, d] = res.body.reports[0]!.rows;
    expect(c).toMatchObject({ key: 'cum-c', airedCount: 1, missedUnits: ['Cụm C'] });
    expect(windows(c!)).toEqual(['cum-c 2026-11-03 17:00–19:00']);
    // D aired one of the two items of its 11:00 window: that window is not missed; 14:00 is.
    expect(d).toMatchObject({ key: 'cum-d', plannedCount: 3, airedCount: 1, missedUnits: ['Cụm D'] });
    expect(windows(d!)).toEqual(['cum-d 2026-11-03 14:00–15:00']);
    const day = await server.admin.get<Rows>('/api/reports/as-run?communeId=default&day=2026-11-03&groupBy=day');
    const [row] = day.body.reports[0]!.rows;
    expect(row!.missedUnits).toEqual(['Cụm B', 'Cụm C', 'Cụm D']);
    expect(windows(row!)).toEqual([
      'cum-b 2026-11-03 05:00–07:30',
      'cum-d 2026-11-03 14:00–15:00',
      'cum-c 2026-11-03 17:00–19:00',
    ]);
  });

  it('groups by month: one row with the month’s totals and every missed window', async () => {
    const res = await server.admin.get<Rows>('/api/reports/as-run?communeId=default&month=2026-11&groupBy=month');
    expect(res.body.reports[0]!.rows).toHaveLength(1);
    const [m] = res.body.reports[0]!.rows;
    expect(m).toMatchObject({
      key: '2026-11',
      plannedCount: 9,
      airedCount: 4,
      failedCount: 2,
      missedUnits: ['Cụm B', 'Cụm C', 'Cụm D'],
    });
    expect(m!.plannedMinutes).toBe(25);
    expect(m!.airedMinutes).toBe(11);
    expect(windows(m!)).toHaveLength(4);
  });

  it('groups by day in the commune’s time zone, and by zone', async () => {
    const days = await server.admin.get<Rows>('/api/reports/as-run?communeId=default&month=2026-11&groupBy=day');
    expect(days.body.reports[0]!.rows.map((r) => [r.key, r.plannedCount, r.airedCount])).toEqual([
      ['2026-11-03', 8, 4],
      ['2026-11-04', 1, 0],
    ]);
    const zones = await server.admin.get<Rows>('/api/reports/as-run?communeId=default&month=2026-11&groupBy=zone');
    expect(zones.body.reports[0]!.rows.map((r) => [r.key, r.plannedCount])).toEqual([
      ['-', 4],
      ['cho', 2],
      ['ven-song', 3],
    ]);
  });

  it('exports CSV that Excel reads as UTF-8, with formula injection neutralised', async () => {
    const res = await server.admin.fetchRaw(
      '/api/reports/as-run?communeId=default&month=2026-11&groupBy=bulletin&format=csv',
    );
    expect(res.headers.get('content-type')).toMatch(/text\/csv/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder().decode(bytes.slice(3));
    expect(text.split('\r\n')[0]).toMatch(/^Nhóm,Số lần theo lịch/);
    expect(text).toContain(`"'=Thông báo, ""tiêm phòng"""`);
    expect(text).toContain('Cụm B (2026-11-03 05:00–07:30, 2026-11-04 05:00–07:30); Cụm C (2026-11-03 17:00–19:00)');
  });

  it('prints one commune per page, escaped', async () => {
    const renamed = await server.admin.patch('/api/units/cum-b', { name: '<script>alert("loa")</script> Cụm B' });
    expect(renamed.status).toBe(200);
    const res = await server.admin.fetchRaw('/api/reports/as-run?month=2026-11&format=html');
    const html = await res.text();
    // A name is text on the printed page, never markup.
    expect(html).toContain('&lt;script&gt;alert(&quot;loa&quot;)&lt;/script&gt; Cụm B (2026-11-03');
    expect(html).not.toContain('<script');
    expect(html).toMatch(/@media print\{body\{margin:0\}\.page\{page-break-after:always\}/);
    const pages = html.split('<section class="page">').slice(1);
    expect(pages).toHaveLength(2);
    expect(pages[0]).toContain('Cụm B (2026-11-03 05:00–07:30, 2026-11-04 05:00–07:30)');
    expect(pages[0]).not.toContain('Xã Hai');
    expect(pages[1]).toContain('<h2>Xã Hai</h2>');
    expect(pages[1]).toContain('Không có bản tin nào theo lịch trong kỳ này.');
    expect(pages[1]).not.toContain('Cụm B');
    // One commune named: one page.
    const one = await (
      await server.admin.fetchRaw('/api/reports/as-run?communeId=xa-hai&month=2026-11&format=html')
    ).text();
    expect(one.match(/<section class="page">/g)).toHaveLength(1);
  });

  it('refuses a request without a range, and an unknown commune', async () => {
    expect((await server.admin.get<{ field: string }>('/api/reports/as-run?communeId=default')).body.field).toBe(
      'month',
    );
    expect((await server.admin.get('/api/reports/as-run?communeId=nowhere&month=2026-11')).status).toBe(404);
  });
});

describe('reports and commune scope', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
    await server.admin.post('/api/communes', { id: 'xa-khac', name: 'Xã khác', timeZone: 'Asia/Ho_Chi_Minh' });
  });
  afterAll(async () => server?.close());

  it('gives a user scoped to one commune only that commune’s report, in its own dates and words', async () => {
    const viewer = await server.userClient('viewer', { communeIds: ['default'] });
    const res = await viewer.get<{ reports: Array<{ commune: { id: string } }> }>('/api/reports/as-run?month=2026-11');
    expect(res.body.reports.map((r) => r.commune.id)).toEqual(['default']);
    const html = await (await viewer.fetchRaw('/api/reports/as-run?month=2026-11&format=html')).text();
    expect(html).toContain('2026-11-01 – 2026-11-30');
    expect(html).not.toContain('Xã khác');
  });
});
