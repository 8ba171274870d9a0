// PATCH /api/bulletins/:id through the real app: a draft or a rejected bulletin, by its writer or an
// administrator, checked as a new one is, audited; nothing half-saved.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer, type TestUser } from '../testing/start-server.js';

interface View {
  id: string;
  title: string;
  state: string;
  level: string;
  mediaSha256: string | null;
  relay: { url: string; durationMs: number } | null;
  recurrence: { days: number[]; pinnedTimes?: string[]; windowIds?: string[] };
  rejectedReason: string | null;
}
interface Refusal {
  error: string;
  field?: string;
  message: string;
}

describe('PATCH /api/bulletins/:id', () => {
  let server: TestServer;
  let editor: TestUser;
  let otherEditor: TestUser;
  let approver: TestUser;
  let sha: string;
  const now = Date.now();
  let minute = 10;

  beforeAll(async () => {
    server = await startServer();
    editor = await server.userClient('editor');
    otherEditor = await server.userClient('editor');
    approver = await server.userClient('approver');
    const work = mkdtempSync(join(tmpdir(), 'loa-edit-'));
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=duration=2', join(work, 't.mp3')]);
    sha = (await server.admin.upload<{ sha256: string }>(join(work, 't.mp3'))).body.sha256;
    await server.admin.post('/api/units', { id: 'cum-1', name: 'Cụm 1' });
  });
  afterAll(async () => server?.close());

  const draft = async (by: TestUser | typeof server.admin = editor) => {
    const res = await by.post<View>('/api/bulletins', {
      title: 'Họp thôn',
      level: 'ordinary',
      mediaSha256: sha,
      targets: { unitIds: ['cum-1'] },
      // Each its own minute: approved pinned items may not overlap.
      recurrence: { days: [0, 1, 2, 3, 4, 5, 6], pinnedTimes: [`05:${minute++}`] },
      validFrom: new Date(now).toISOString(),
      validUntil: new Date(now + 7 * 86400_000).toISOString(),
    });
    expect(res.status).toBe(201);
    return res.body;
  };
  const edit = (by: TestUser | typeof server.admin, id: string, body: object) =>
    by.patch<View & Refusal>(`/api/bulletins/${id}`, body);
  const get = async (id: string) => (await server.admin.get<View>(`/api/bulletins/${id}`)).body;

  it('edits a draft: the fields given change, the others stay, and the edit is audited', async () => {
    const b = await draft();
    const res = await edit(editor, b.id, {
      title: 'Họp thôn (dời giờ)',
      recurrence: { days: [1], pinnedTimes: ['06:00'] },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ title: 'Họp thôn (dời giờ)', state: 'draft', mediaSha256: sha });
    expect(res.body.recurrence).toEqual({ days: [1], pinnedTimes: ['06:00'] });
    const audit = await server.admin.get<{ entries: Array<{ action: string; username: string }> }>(
      `/api/audit?action=bulletin.edit&subject=${b.id}`,
    );
    expect(audit.body.entries).toEqual([
      expect.objectContaining({ action: 'bulletin.edit', username: editor.username }),
    ]);
    // A relay instead of the audio, and back.
    const relay = await edit(editor, b.id, { relay: { url: 'http://radio.example/vov1', durationMs: 60_000 } });
    expect(relay.body).toMatchObject({ mediaSha256: null, relay: { url: 'http://radio.example/vov1' } });
    expect((await edit(editor, b.id, { mediaSha256: sha })).body).toMatchObject({ mediaSha256: sha, relay: null });
  });

  it.each<[string, object, number, string]>([
    ['validUntil before validFrom', { validUntil: new Date(now - 1000).toISOString() }, 400, 'validUntil'],
    ['validFrom without an offset', { validFrom: '2026-11-22T05:00:00' }, 400, 'validFrom'],
    ['no targets', { targets: {} }, 400, 'targets'],
    ['an unknown unit', { targets: { unitIds: ['nowhere'] } }, 400, 'targets.unitIds'],
    ['an unknown zone', { targets: { zoneIds: ['nowhere'] } }, 400, 'targets.zoneIds'],
    ['a relay typed for 03:15', { recurrence: { days: [1], pinnedTimes: ['03:15'] } }, 400, 'recurrence.pinnedTimes'],
    ['an unknown window', { recurrence: { days: [1], windowIds: ['noon'] } }, 400, 'recurrence.windowIds'],
    ['a recurrence with no day', { recurrence: { days: [] } }, 400, 'recurrence.days'],
    ['an absurd repeat count', { repeat: { count: 5000, gapSeconds: 0 } }, 400, 'repeat.count'],
    ['unknown media', { mediaSha256: 'f'.repeat(64) }, 400, 'mediaSha256'],
    [
      'audio and a relay at once',
      { mediaSha256: 'a'.repeat(64), relay: { url: 'http://x.example/s', durationMs: 60_000 } },
      400,
      'relay',
    ],
  ])('refuses %s with a 4xx naming the field, and changes nothing', async (_n, patch, status, field) => {
    const b = await draft();
    const res = await edit(editor, b.id, patch);
    expect(res.status).toBe(status);
    expect(res.body.field).toBe(field);
    expect(res.body.message.length).toBeGreaterThan(10);
    expect(await get(b.id)).toEqual(b);
  });

  it('refuses an empty edit and one that would move the bulletin to another commune', async () => {
    const b = await draft();
    expect((await edit(editor, b.id, {})).status).toBe(400);
    // Fields a bulletin cannot change are dropped by the schema, leaving nothing to edit.
    const moved = await edit(editor, b.id, { communeId: 'default', createdBy: 1, state: 'approved' });
    expect(moved.status).toBe(400);
    expect(moved.body.error).toBe('empty-edit');
    expect(await get(b.id)).toEqual(b);
    expect((await edit(editor, 'b-none', { title: 'x' })).status).toBe(404);
  });

  it('lets only the writer or an administrator edit, and an emergency only with that permission', async () => {
    const b = await draft();
    const other = await edit(otherEditor, b.id, { title: 'Không phải của tôi' });
    expect(other.status).toBe(403);
    expect(other.body.error).toBe('not-own-bulletin');
    expect((await edit(approver, b.id, { title: 'Người duyệt không sửa' })).status).toBe(403);
    const viewer = await server.userClient('viewer');
    expect((await edit(viewer, b.id, { title: 'Chỉ xem' })).status).toBe(403);
    const up = await edit(editor, b.id, { level: 'emergency' });
    expect(up.status).toBe(403);
    expect(up.body.message).toMatch(/emergency/);
    expect(await get(b.id)).toEqual(b);
    expect((await edit(server.admin, b.id, { title: 'Quản trị viên sửa' })).body.title).toBe('Quản trị viên sửa');
    const emergency = await draft(server.admin);
    expect((await edit(server.admin, emergency.id, { level: 'emergency' })).body.level).toBe('emergency');
  });

  it('refuses to edit a bulletin under review or approved; an edited rejected one is a draft again', async () => {
    const b = await draft();
    expect((await editor.post(`/api/bulletins/${b.id}/submit`)).status).toBe(200);
    const review = await edit(editor, b.id, { title: 'Sửa khi chờ duyệt' });
    expect(review.status).toBe(409);
    expect(review.body.error).toBe('not-editable');
    expect((await approver.post(`/api/bulletins/${b.id}/reject`, { reason: 'Sai giờ họp' })).status).toBe(200);
    const fixed = await edit(editor, b.id, { title: 'Họp thôn (đúng giờ)' });
    expect(fixed.status).toBe(200);
    expect(fixed.body).toMatchObject({ state: 'draft', title: 'Họp thôn (đúng giờ)', rejectedReason: 'Sai giờ họp' });
    expect((await editor.post(`/api/bulletins/${b.id}/submit`)).status).toBe(200);
    expect((await approver.post(`/api/bulletins/${b.id}/approve`)).status).toBe(200);
    const approved = await edit(editor, b.id, { title: 'Sửa khi đã duyệt' });
    expect(approved.status).toBe(409);
    expect((await get(b.id)).title).toBe('Họp thôn (đúng giờ)');
  });
});
