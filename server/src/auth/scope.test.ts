// Commune scoping and API tokens through the real app (issue #4): a user scoped to communes sees
// and changes only those; a machine's token carries no more than it names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../testing/api-client.js';
import { startServer, type TestServer, type TestUser } from '../testing/start-server.js';

describe('an account scoped to one commune', () => {
  let server: TestServer;
  let tech: TestUser;

  beforeAll(async () => {
    server = await startServer();
    const { admin } = server;
    expect((await admin.post('/api/communes', { id: 'tu-le', name: 'Xã Tú Lệ' })).status).toBe(201);
    await admin.post('/api/units', { id: 'cum-mac-dinh', name: 'Cụm mặc định', communeId: 'default' });
    await admin.post('/api/units', { id: 'cum-tu-le', name: 'Cụm Tú Lệ', communeId: 'tu-le' });
    await admin.post('/api/zones', {
      id: 'zone-default',
      name: 'Chợ',
      communeId: 'default',
      unitIds: ['cum-mac-dinh'],
    });
    await admin.post('/api/zones', { id: 'zone-tu-le', name: 'Chợ', communeId: 'tu-le', unitIds: ['cum-tu-le'] });
    tech = await server.userClient('technician', { communeIds: ['tu-le'] });
  });
  afterAll(async () => server?.close());

  it('lists only its communes, units and zones', async () => {
    expect(
      (await tech.get<{ communes: Array<{ id: string }> }>('/api/communes')).body.communes.map((c) => c.id),
    ).toEqual(['tu-le']);
    expect((await tech.get<{ units: Array<{ id: string }> }>('/api/units')).body.units.map((u) => u.id)).toEqual([
      'cum-tu-le',
    ]);
    expect((await tech.get<{ zones: Array<{ id: string }> }>('/api/zones')).body.zones.map((z) => z.id)).toEqual([
      'zone-tu-le',
    ]);
    expect((await tech.get('/api/units/cum-tu-le')).status).toBe(200);
  });

  it('finds nothing outside them, to read or to change, and changes nothing there', async () => {
    for (const path of [
      '/api/units/cum-mac-dinh',
      '/api/units/cum-mac-dinh/plan',
      '/api/units/cum-mac-dinh/play-log',
      '/api/zones/zone-default',
      '/api/communes/default',
      '/api/communes/default/timeline',
    ]) {
      const res = await tech.get<{ error: string }>(path);
      expect(res.status, path).toBe(404);
    }
    expect((await tech.patch('/api/units/cum-mac-dinh', { name: 'Đổi tên' })).status).toBe(404);
    expect((await tech.post('/api/units/cum-mac-dinh/secret')).status).toBe(404);
    expect((await tech.post('/api/units/cum-mac-dinh/revoke')).status).toBe(404);
    // Filters naming another commune or its units find nothing either.
    expect((await tech.get('/api/zones?communeId=default')).status).toBe(404);
    expect((await tech.get<{ zones: unknown[] }>('/api/zones?communeId=tu-le')).body.zones).toHaveLength(1);
    expect((await tech.get('/api/audit?communeId=default')).status).toBe(404);
    const unit = await server.admin.get<{ name: string; revokedAt: number | null }>('/api/units/cum-mac-dinh');
    expect(unit.body).toMatchObject({ name: 'Cụm mặc định', revokedAt: null });
  });

  it('creates in its own commune by default, and is refused another one', async () => {
    const own = await tech.post<{ unit: { communeId: string } }>('/api/units', { id: 'cum-moi', name: 'Cụm mới' });
    expect(own.status).toBe(201);
    expect(own.body.unit.communeId).toBe('tu-le');
    const other = await tech.post<{ error: string; field: string }>('/api/units', {
      id: 'cum-khac',
      name: 'Cụm khác',
      communeId: 'default',
    });
    expect(other.status).toBe(403);
    expect(other.body).toMatchObject({ error: 'outside-scope', field: 'communeId' });
    expect((await server.admin.get('/api/units/cum-khac')).status).toBe(404);
  });

  it('cannot create a commune, and reads only its communes’ audit entries', async () => {
    const planner = await server.userClient('admin', { communeIds: ['tu-le'] });
    expect((await planner.post('/api/communes', { id: 'xa-moi', name: 'Xã mới' })).status).toBe(403);
    expect((await planner.get('/api/users')).status).toBe(403);
    const entries = (await planner.get<{ entries: Array<{ communeId: string | null }> }>('/api/audit')).body.entries;
    expect(entries.length).toBeGreaterThan(0);
    expect(new Set(entries.map((e) => e.communeId))).toEqual(new Set(['tu-le']));
    const all = (await server.admin.get<{ entries: Array<{ communeId: string | null }> }>('/api/audit')).body.entries;
    expect(all.some((e) => e.communeId === 'default')).toBe(true);
  });
});

describe('API tokens', () => {
  let server: TestServer;
  let machine: TestUser;

  beforeAll(async () => {
    server = await startServer();
    await server.admin.post('/api/communes', { id: 'tu-le', name: 'Xã Tú Lệ' });
    await server.admin.post('/api/units', { id: 'cum-a', name: 'A', communeId: 'default' });
    await server.admin.post('/api/units', { id: 'cum-b', name: 'B', communeId: 'tu-le' });
    // The provincial information system's account: an editor.
    machine = await server.userClient('editor', { username: 'he-thong-tinh' });
  });
  afterAll(async () => server?.close());

  async function token(body: Record<string, unknown>) {
    const res = await server.admin.post<{ token: string; apiToken: { id: number } }>('/api/tokens', {
      name: 'Hệ thống thông tin nguồn tỉnh',
      userId: machine.id,
      ...body,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return {
      client: ApiClient.withToken(server.base, res.body.token),
      id: res.body.apiToken.id,
      token: res.body.token,
    };
  }

  it('acts with only the permissions and communes it names, with no cookie and no CSRF token', async () => {
    const t = await token({ permissions: ['units:read', 'bulletins:write'], communeIds: ['tu-le'] });
    expect((await t.client.get<{ units: Array<{ id: string }> }>('/api/units')).body.units.map((u) => u.id)).toEqual([
      'cum-b',
    ]);
    expect((await t.client.get('/api/zones')).status).toBe(403); // schedule:read was not given
    // A write goes through the permission check without any CSRF header (a validation error here).
    const write = await t.client.post<{ error: string }>('/api/bulletins', { title: 'x' });
    expect(write.status).toBe(400);
    const me = await t.client.get<{ user: { username: string; permissions: string[]; communeIds: string[] } }>(
      '/api/auth/me',
    );
    expect(me.body.user).toMatchObject({ username: 'he-thong-tinh', communeIds: ['tu-le'] });
    expect(me.body.user.permissions.sort()).toEqual(['bulletins:write', 'units:read']);
    expect((await t.client.post('/api/auth/password', { currentPassword: 'a', newPassword: 'b' })).status).toBe(403);
    const stored = JSON.stringify(server.app.db.prepare('SELECT * FROM api_tokens').all());
    expect(stored).not.toContain(t.token);
  });

  it('cannot carry more than its account has', async () => {
    const res = await server.admin.post<{ error: string; field: string }>('/api/tokens', {
      name: 'too much',
      userId: machine.id,
      permissions: ['bulletins:approve'],
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'permission-beyond-role', field: 'permissions' });
  });

  it('stops working at once when revoked, and when its account is deleted', async () => {
    const t = await token({ permissions: ['units:read'] });
    expect((await t.client.get('/api/units')).status).toBe(200);
    const revoked = await server.admin.delete<{ revokedAt: number }>(`/api/tokens/${t.id}`);
    expect(revoked.body.revokedAt).toBeGreaterThan(0);
    const res = await t.client.get<{ error: string }>('/api/units');
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('unauthenticated');
    const t2 = await token({ permissions: ['units:read'] });
    expect((await server.admin.delete(`/api/users/${machine.id}`)).status).toBe(204);
    expect((await t2.client.get('/api/units')).status).toBe(401);
    expect((await ApiClient.withToken(server.base, 'loa_made-up-token-value-1234').get('/api/units')).status).toBe(401);
  });
});
