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
    for (const id of ['cum-a', 'cum-b'])
      await server.admin.post('/api/units', { id, name: `Cụm ${id.slice(-1).toUpperCase()}` });
    await server.admin.post('/api/zones', { id: 'cho', name: 'Chợ', unitIds: ['cum-a'] });
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
      }>;
    }>;
  };

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
  });

  it('groups by day in the commune’s time zone, and by zone', async () => {
    const days = await server.admin.get<Rows>('/api/reports/as-run?communeId=default&month=2026-11&groupBy=day');
    expect(days.body.reports[0]!.rows.map((r) => [r.key, r.plannedCount, r.airedCount])).toEqual([
      ['2026-11-03', 3, 2],
      ['2026-11-04', 1, 0],
    ]);
    const zones = await server.admin.get<Rows>('/api/reports/as-run?communeId=default&month=2026-11&groupBy=zone');
    expect(zones.body.reports[0]!.rows.map((r) => [r.key, r.plannedCount])).toEqual([
      ['-', 2],
      ['cho', 2],
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
  });

  it('prints one commune per page, escaped', async () => {
    const res = await server.admin.fetchRaw('/api/reports/as-run?month=2026-11&format=html');
    const html = await res.text();
    expect(html).toContain('@media print');
    expect(html.match(/class="page"/g)).toHaveLength(1);
    expect(html).toContain('Cụm B');
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
