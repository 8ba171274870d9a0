// Thông tư 39's approval through the real app (issue #4): the editor submits; the approver approves
// or rejects with a reason; nobody — the administrator included — approves their own bulletin; an
// emergency needs the emergency permission and is audited with who, what, where and when; only
// approved bulletins reach the plans.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../testing/api-client.js';
import { hashToken } from './auth.plugin.js';
import { startServer, type TestServer, type TestUser } from '../testing/start-server.js';

interface Bulletin {
  id: string;
  state: string;
  createdBy: number | null;
  approvedBy: number | null;
  rejectedReason: string | null;
}
interface AuditEntry {
  at: number;
  userId: number | null;
  username: string | null;
  action: string;
  subject: string;
  communeId: string | null;
  detail: { bulletin?: { title: string; level: string; targets: unknown; recurrence: unknown; validFrom: string } };
}

describe('approving bulletins', () => {
  let server: TestServer;
  let editor: TestUser;
  let approver: TestUser;
  let sha: string;
  const now = Date.now();
  const draft = (patch: Record<string, unknown> = {}) => ({
    title: 'Thông báo lịch tiêm phòng',
    level: 'ordinary',
    mediaSha256: sha,
    targets: { unitIds: ['thon-duyet'] },
    recurrence: { days: [0, 1, 2, 3, 4, 5, 6], windowIds: ['morning'] },
    validFrom: new Date(now).toISOString(),
    validUntil: new Date(now + 3 * 86400_000).toISOString(),
    ...patch,
  });

  beforeAll(async () => {
    server = await startServer();
    editor = await server.userClient('editor');
    approver = await server.userClient('approver');
    await server.admin.post('/api/units', { id: 'thon-duyet', name: 'Thôn Duyệt' });
    const work = mkdtempSync(join(tmpdir(), 'loa-approve-'));
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=duration=3', join(work, 'a.mp3')]);
    const up = await editor.upload<{ sha256: string }>(join(work, 'a.mp3'));
    expect(up.status).toBe(201);
    sha = up.body.sha256;
  });
  afterAll(async () => server?.close());

  const create = async (who: ApiClient, patch?: Record<string, unknown>) => {
    const res = await who.post<Bulletin & { error?: string }>('/api/bulletins', draft(patch));
    return res;
  };
  const planned = async () => {
    await server.app.services.plans.replanAll();
    return (server.app.services.plans.body('thon-duyet')?.items ?? []).map((i) => i.bulletinId);
  };

  it('lets the editor write and submit, the approver approve, and only then plans it', async () => {
    const b = (await create(editor)).body;
    expect(b.createdBy).toBe(editor.id);
    expect((await approver.post<{ error: string }>('/api/bulletins', draft())).status).toBe(403);
    expect((await editor.post(`/api/bulletins/${b.id}/submit`)).status).toBe(200);
    expect(await planned()).not.toContain(b.id);
    const denied = await editor.post<{ error: string }>(`/api/bulletins/${b.id}/approve`);
    expect(denied.status).toBe(403);
    expect(denied.body.error).toBe('forbidden');
    const ok = await approver.post<Bulletin>(`/api/bulletins/${b.id}/approve`);
    expect(ok.body).toMatchObject({ state: 'approved', approvedBy: approver.id });
    expect(await planned()).toContain(b.id);
  });

  it('refuses anyone approving their own bulletin, the administrator included', async () => {
    const b = (await create(server.admin)).body;
    await server.admin.post(`/api/bulletins/${b.id}/submit`);
    const own = await server.admin.post<{ error: string; message: string }>(`/api/bulletins/${b.id}/approve`);
    expect(own.status).toBe(403);
    expect(own.body.error).toBe('own-bulletin');
    expect((await server.admin.get<Bulletin>(`/api/bulletins/${b.id}`)).body.state).toBe('submitted');
    expect((await approver.post<Bulletin>(`/api/bulletins/${b.id}/approve`)).body.state).toBe('approved');
  });

  it('never lets the administrator approve their own bulletin through a token in an approver’s name', async () => {
    for (const permission of ['bulletins:approve', 'emergency', 'live'])
      expect(
        await server.admin.post<{ error: string; field: string }>('/api/tokens', {
          name: 'mượn quyền duyệt',
          userId: approver.id,
          permissions: ['bulletins:read', permission],
        }),
        permission,
      ).toMatchObject({ status: 400, body: { error: 'personal-permission', field: 'permissions' } });
    const admin2 = await server.userClient('admin');
    const handOut = await server.admin.post<{ error: string }>('/api/tokens', {
      name: 'phát quyền',
      userId: admin2.id,
      permissions: ['tokens:manage'],
    });
    expect(handOut.body.error).toBe('personal-permission');
    // What a machine needs may still be given to its account.
    const machine = await server.admin.post('/api/tokens', {
      name: 'đọc',
      userId: approver.id,
      permissions: ['bulletins:read'],
    });
    expect(machine.status).toBe(201);

    // A token made before this rule (written straight into the table) still cannot approve what
    // its maker wrote, while it may approve someone else's bulletin.
    const adminId = (await server.admin.get<{ user: { id: number } }>('/api/auth/me')).body.user.id;
    const token = `loa_${'l'.repeat(43)}`;
    server.app.db
      .prepare(
        `INSERT INTO api_tokens (user_id, name, token_hash, permissions, commune_ids, created_by, created_at)
         VALUES (?, 'cũ', ?, '["bulletins:read","bulletins:approve"]', NULL, ?, ?)`,
      )
      .run(approver.id, hashToken(token), adminId, Date.now());
    const borrowed = ApiClient.withToken(server.base, token);
    const own = (await create(server.admin)).body;
    await server.admin.post(`/api/bulletins/${own.id}/submit`);
    const refused = await borrowed.post<{ error: string }>(`/api/bulletins/${own.id}/approve`);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('own-bulletin');
    expect((await server.admin.get<Bulletin>(`/api/bulletins/${own.id}`)).body.state).toBe('submitted');
    const theirs = (await create(editor)).body;
    await editor.post(`/api/bulletins/${theirs.id}/submit`);
    expect((await borrowed.post<Bulletin>(`/api/bulletins/${theirs.id}/approve`)).body.state).toBe('approved');
  });

  it('rejects only with a reason, back to the editor, who may submit again', async () => {
    const b = (await create(editor)).body;
    await editor.post(`/api/bulletins/${b.id}/submit`);
    expect((await approver.post(`/api/bulletins/${b.id}/reject`, {})).status).toBe(400);
    expect((await approver.post(`/api/bulletins/${b.id}/reject`, { reason: '' })).status).toBe(400);
    const rejected = await approver.post<Bulletin>(`/api/bulletins/${b.id}/reject`, {
      reason: 'Sai ngày tiêm phòng: sửa lại thành thứ Bảy.',
    });
    expect(rejected.body).toMatchObject({
      state: 'rejected',
      rejectedReason: 'Sai ngày tiêm phòng: sửa lại thành thứ Bảy.',
    });
    expect(await planned()).not.toContain(b.id);
    expect((await editor.post(`/api/bulletins/${b.id}/reject`, { reason: 'x' })).status).toBe(403);
    expect((await editor.post<Bulletin>(`/api/bulletins/${b.id}/submit`)).body.state).toBe('submitted');
  });

  it('needs the emergency permission to write and to approve an emergency, and audits who, what, where and when', async () => {
    const refused = await create(editor, { level: 'emergency' });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('forbidden');
    const before = Date.now();
    const b = (await create(server.admin, { level: 'emergency', title: 'Bão số 3: sơ tán ngay' })).body;
    expect((await editor.post(`/api/bulletins/${b.id}/submit`)).status).toBe(403); // an emergency is not the editor's
    expect((await server.admin.post(`/api/bulletins/${b.id}/submit`)).status).toBe(200);
    // A token without `emergency` may approve ordinary bulletins, not this one (another
    // administrator's own: a token for someone else cannot carry approval at all).
    const other = await server.userClient('admin');
    const t = await other.post<{ token: string }>('/api/tokens', {
      name: 'duyệt thường',
      permissions: ['bulletins:read', 'bulletins:approve'],
    });
    expect(t.status, JSON.stringify(t.body)).toBe(201);
    const limited = ApiClient.withToken(server.base, t.body.token);
    const noEmergency = await limited.post<{ error: string; message: string }>(`/api/bulletins/${b.id}/approve`);
    expect(noEmergency.status).toBe(403);
    expect(noEmergency.body.message).toMatch(/emergency/);
    expect((await approver.post<Bulletin>(`/api/bulletins/${b.id}/approve`)).body.state).toBe('approved');
    expect(await planned()).toContain(b.id);

    const audit = await server.admin.get<{ entries: AuditEntry[] }>(`/api/audit?subject=${b.id}`);
    const approval = audit.body.entries.find((e) => e.action === 'bulletin.approve')!;
    expect(approval).toMatchObject({ userId: approver.id, username: approver.username, communeId: 'default' });
    expect(approval.at).toBeGreaterThanOrEqual(before);
    expect(approval.detail.bulletin).toMatchObject({
      title: 'Bão số 3: sơ tán ngay',
      level: 'emergency',
      targets: { unitIds: ['thon-duyet'] },
      recurrence: { windowIds: ['morning'] },
    });
    expect(audit.body.entries.map((e) => e.action).sort()).toEqual([
      'bulletin.approve',
      'bulletin.create',
      'bulletin.submit',
    ]);
  });

  it('lets a withdrawal stop an approved bulletin, audited', async () => {
    const b = (await create(editor)).body;
    await editor.post(`/api/bulletins/${b.id}/submit`);
    await approver.post(`/api/bulletins/${b.id}/approve`);
    expect(await planned()).toContain(b.id);
    expect((await editor.post<Bulletin>(`/api/bulletins/${b.id}/withdraw`)).body.state).toBe('withdrawn');
    expect(await planned()).not.toContain(b.id);
    const audit = await server.admin.get<{ entries: AuditEntry[] }>(
      `/api/audit?subject=${b.id}&action=bulletin.withdraw`,
    );
    expect(audit.body.entries[0]).toMatchObject({ userId: editor.id });
  });
});
