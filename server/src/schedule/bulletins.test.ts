// POST /api/bulletins through the real app: the quiet-hours guard and every bad input named.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer, type TestUser } from '../testing/start-server.js';

describe('POST /api/bulletins', () => {
  let server: TestServer;
  // Issue #4: the commune radio operator writes bulletins, the leader approves them.
  let editor: TestUser;
  let approver: TestUser;
  let sha: string;
  const now = Date.now();
  const base = () => ({
    title: 'Thông báo họp thôn',
    level: 'ordinary',
    mediaSha256: sha,
    targets: { unitIds: ['thon-ta-ghenh'] },
    recurrence: { days: [0, 1, 2, 3, 4, 5, 6], pinnedTimes: ['05:30'] },
    validFrom: new Date(now).toISOString(),
    validUntil: new Date(now + 7 * 86400_000).toISOString(),
  });

  beforeAll(async () => {
    server = await startServer();
    editor = await server.userClient('editor');
    approver = await server.userClient('approver');
    const work = mkdtempSync(join(tmpdir(), 'loa-bul-'));
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=duration=2', join(work, 't.mp3')]);
    sha = (await server.admin.upload<{ sha256: string }>(join(work, 't.mp3'))).body.sha256;
    await server.admin.post('/api/units', { id: 'thon-ta-ghenh', name: 'Thôn Tà Ghềnh' });
  });
  afterAll(async () => server?.close());

  it('accepts a pinned time inside a window, as a draft', async () => {
    const res = await editor.post<{ state: string; id: string }>('/api/bulletins', base());
    expect(res.status).toBe(201);
    expect(res.body.state).toBe('draft');
  });

  it('refuses a relay typed for 03:15, naming the windows', async () => {
    const res = await editor.post<{ error: string; message: string; field: string }>('/api/bulletins', {
      ...base(),
      recurrence: { days: [0, 1, 2, 3, 4, 5, 6], pinnedTimes: ['03:15'] },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('outside-windows');
    expect(res.body.message).toContain('05:00–07:30, 17:00–19:00');
    expect(res.body.field).toBe('recurrence.pinnedTimes');
  });

  it('refuses pinned times that overlap each other, naming them', async () => {
    // The media is 2 s long: 05:40:00 and 05:40:01 overlap.
    const res = await editor.post<{ error: string; message: string; field: string }>('/api/bulletins', {
      ...base(),
      recurrence: { days: [0, 1, 2, 3, 4, 5, 6], pinnedTimes: ['05:40', '05:40:01'] },
    });
    expect(res.status).toBe(409);
    expect(res.body.error).toBe('pinned-conflict');
    expect(res.body.message).toMatch(/05:40/);
    expect(res.body.field).toBe('recurrence.pinnedTimes');
  });

  it('refuses a packed bulletin whose windows a targeted unit does not have, naming recurrence.windowIds', async () => {
    // The market zone overrides the commune's windows: its unit has no 'evening'.
    await server.admin.post('/api/units', { id: 'cum-cho', name: 'Cụm chợ' });
    const zone = await server.admin.post('/api/zones', {
      id: 'khu-cho',
      name: 'Chợ',
      unitIds: ['cum-cho'],
      windows: [{ id: 'market', start: '06:00', end: '06:30' }],
    });
    expect(zone.status).toBe(201);
    const res = await editor.post<{ error: string; message: string; field: string }>('/api/bulletins', {
      ...base(),
      targets: { unitIds: ['cum-cho'] },
      recurrence: { days: [0, 1, 2, 3, 4, 5, 6], windowIds: ['evening'] },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('outside-windows');
    expect(res.body.field).toBe('recurrence.windowIds');
    expect(res.body.message).toMatch(/'evening'.*06:00–06:30/);
    const ok = await editor.post('/api/bulletins', {
      ...base(),
      targets: { unitIds: ['cum-cho'] },
      recurrence: { days: [0, 1, 2, 3, 4, 5, 6], windowIds: ['market'] },
    });
    expect(ok.status).toBe(201);
  });

  it('lets an emergency be pinned outside the windows', async () => {
    // An emergency bulletin needs the emergency permission as well as bulletins:write: the admin.
    const res = await server.admin.post('/api/bulletins', {
      ...base(),
      level: 'emergency',
      recurrence: { days: [0, 1, 2, 3, 4, 5, 6], pinnedTimes: ['03:15'] },
    });
    expect(res.status).toBe(201);
  });

  it.each([
    ['validUntil before validFrom', { validUntil: new Date(now - 1000).toISOString() }, 'validUntil'],
    ['an instant without an offset', { validFrom: '2026-11-22T05:00:00' }, 'validFrom'],
    ['no targets', { targets: {} }, 'targets'],
    ['an unknown unit', { targets: { unitIds: ['nowhere'] } }, 'targets.unitIds'],
    ['an unknown zone', { targets: { zoneIds: ['cho'] } }, 'targets.zoneIds'],
    ['a recurrence with no day', { recurrence: { days: [] } }, 'recurrence.days'],
    ['an absurd repeat count', { repeat: { count: 5000, gapSeconds: 10 } }, 'repeat.count'],
    ['a malformed pinned time', { recurrence: { days: [1], pinnedTimes: ['25:99'] } }, 'recurrence.pinnedTimes.0'],
    ['unknown media', { mediaSha256: 'f'.repeat(64) }, 'mediaSha256'],
  ])('refuses %s with a 4xx naming the field', async (_name, patch, field) => {
    const before = (await server.admin.get<{ bulletins: unknown[] }>('/api/bulletins')).body.bulletins.length;
    const res = await editor.post<{ field: string; message: string }>('/api/bulletins', { ...base(), ...patch });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.field).toBe(field);
    expect(res.body.message.length).toBeGreaterThan(10);
    expect((await server.admin.get<{ bulletins: unknown[] }>('/api/bulletins')).body.bulletins.length).toBe(before);
  });

  it('moves draft → submitted → approved, and refuses to approve a draft', async () => {
    const b = await editor.post<{ id: string }>('/api/bulletins', base());
    const early = await approver.post<{ error: string }>(`/api/bulletins/${b.body.id}/approve`);
    expect(early.status).toBe(409);
    expect((await editor.post<{ state: string }>(`/api/bulletins/${b.body.id}/submit`)).body.state).toBe('submitted');
    expect((await approver.post<{ state: string }>(`/api/bulletins/${b.body.id}/approve`)).body.state).toBe('approved');
  });
});
