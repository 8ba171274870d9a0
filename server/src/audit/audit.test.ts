// GET /api/audit through the real app: every successful change that can make a loudspeaker speak or
// stop is there with who, what, where and when; reads and refused changes are not; filters work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../testing/api-client.js';
import { startServer, type TestServer, type TestUser } from '../testing/start-server.js';

interface Entry {
  id: number;
  at: number;
  userId: number | null;
  username: string | null;
  via: string;
  action: string;
  subject: string | null;
  communeId: string | null;
  ip: string | null;
  detail: { status?: number; body?: Record<string, unknown> } & Record<string, unknown>;
}

describe('GET /api/audit', () => {
  let server: TestServer;
  let tech: TestUser;
  const list = async (query = '') => (await server.admin.get<{ entries: Entry[] }>(`/api/audit${query}`)).body.entries;

  beforeAll(async () => {
    server = await startServer();
    tech = await server.userClient('technician');
  });
  afterAll(async () => server?.close());

  it('records windows, zones and unit secrets with who, where and when, and not reads or refusals', async () => {
    const t0 = Date.now();
    const windows = [{ id: 'sang', start: '05:30', end: '07:00' }];
    expect((await server.admin.put('/api/communes/default/windows', { windows })).status).toBe(200);
    expect((await tech.post('/api/units', { id: 'cum-nhat-ky', name: 'Cụm' })).status).toBe(201);
    expect((await server.admin.post('/api/zones', { id: 'cho', name: 'Chợ', unitIds: ['cum-nhat-ky'] })).status).toBe(
      201,
    );
    expect((await server.admin.put('/api/zones/cho', { name: 'Chợ phiên', unitIds: [] })).status).toBe(200);
    expect((await server.admin.delete('/api/zones/cho')).status).toBe(204);
    expect((await tech.post('/api/units/cum-nhat-ky/secret')).status).toBe(200);
    // Not changes: a read, a refused window, a forbidden call.
    await server.admin.get('/api/units');
    expect((await server.admin.put('/api/communes/default/windows', { windows: [] })).status).toBe(400);
    expect((await tech.put('/api/communes/default/windows', { windows })).status).toBe(403);

    const entries = (await list(`?from=${t0}`)).reverse();
    expect(entries.map((e) => `${e.action} ${e.subject} ${e.username}`)).toEqual([
      'commune.windows default admin',
      `unit.create cum-nhat-ky ${tech.username}`,
      'zone.create cho admin',
      'zone.update cho admin',
      'zone.delete cho admin',
      `unit.secret-rotate cum-nhat-ky ${tech.username}`,
    ]);
    for (const e of entries) {
      expect(e.communeId).toBe('default');
      expect(e.at).toBeGreaterThanOrEqual(t0);
      expect(e.via).toBe('session');
      expect(e.ip).toBe('127.0.0.1');
    }
    expect(entries[0]!.detail.body).toEqual({ windows });
    // The new secret is in the response only, never in the log.
    expect(JSON.stringify(entries)).not.toMatch(/"secret":"[A-Za-z0-9_-]{20,}/);
  });

  it('filters by action prefix, account, subject and time, and pages backwards by id', async () => {
    expect((await list('?action=zone.*')).map((e) => e.action)).toEqual(['zone.delete', 'zone.update', 'zone.create']);
    expect((await list(`?userId=${tech.id}`)).every((e) => e.userId === tech.id)).toBe(true);
    expect((await list('?subject=cum-nhat-ky')).map((e) => e.action)).toEqual(['unit.secret-rotate', 'unit.create']);
    const page1 = await list('?limit=2');
    const page2 = await list(`?limit=2&before=${page1[1]!.id}`);
    expect(page2[0]!.id).toBeLessThan(page1[1]!.id);
    expect(await list(`?from=${Date.now() + 60_000}`)).toEqual([]);
    expect((await server.admin.get('/api/audit?limit=5000')).status).toBe(400);
  });

  it('is readable by every role (audit:read) and by nobody signed out', async () => {
    const viewer = await server.userClient('viewer');
    expect((await viewer.get<{ entries: Entry[] }>('/api/audit')).body.entries.length).toBeGreaterThan(0);
    expect((await new ApiClient(server.base).get('/api/audit')).status).toBe(401);
  });

  it('records a command sent to a unit, by whom and where', async () => {
    const res = await tech.post<{ id: string }>('/api/units/cum-nhat-ky/commands', { type: 'mute' });
    expect(res.status).toBe(202);
    const [e] = await list('?action=unit.command');
    expect(e).toMatchObject({ subject: 'cum-nhat-ky', communeId: 'default', userId: tech.id });
    expect(e!.detail).toMatchObject({ type: 'mute', command: res.body.id });
  });

  it('names the API token a machine acted with', async () => {
    const t = await server.admin.post<{ token: string; apiToken: { id: number } }>('/api/tokens', {
      name: 'kỹ thuật tự động',
      userId: tech.id,
      permissions: ['units:manage'],
    });
    const machine = ApiClient.withToken(server.base, t.body.token);
    expect((await machine.patch('/api/units/cum-nhat-ky', { name: 'Cụm mới' })).status).toBe(200);
    const [e] = await list('?action=unit.update');
    expect(e).toMatchObject({ userId: tech.id, via: `token:${t.body.apiToken.id}`, subject: 'cum-nhat-ky' });
  });
});
