// Issue #4: a password someone else chose (a new account, an administrator's reset) is changed
// before anything else — the API itself refuses the rest, not only the web page — and the first
// administrator's password from the environment follows the same rules.
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import { ApiClient } from '../testing/api-client.js';
import { startServer, type TestServer } from '../testing/start-server.js';

describe('a password someone else chose', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      LOA_ADMIN_PASSWORD: 'Một câu đủ dài cho quản trị 2026',
      LOGIN_MAX_FAILURES: '3',
      LOGIN_LOCKOUT_SECONDS: '600',
    });
  });
  afterAll(async () => server?.close());

  async function newAccount(role: string, username: string) {
    const made = await server.admin.post<{ user: { id: number }; password: string }>('/api/users', {
      username,
      role,
    });
    expect(made.status).toBe(201);
    const person = new ApiClient(server.base);
    await person.login(username, made.body.password);
    return { person, id: made.body.user.id, password: made.body.password };
  }

  it('leaves only who am I, signing out and changing it, until it is changed', async () => {
    const { person, password } = await newAccount('technician', 'ky-thuat-moi');
    const refusals = [
      await person.get<{ error: string }>('/api/units'),
      await person.post<{ error: string }>('/api/units', { id: 'cum-moi', name: 'x' }),
      await person.get<{ error: string }>('/api/users'), // not theirs anyway: the same answer
    ];
    for (const res of refusals) expect(res).toMatchObject({ status: 403, body: { error: 'password-change-required' } });
    const me = await person.get<{ user: { mustChangePassword: boolean } }>('/api/auth/me');
    expect(me.status).toBe(200);
    expect(me.body.user.mustChangePassword).toBe(true);
    // The dashboard's live feed is refused too.
    const ws = new WebSocket(`${server.base.replace(/^http/, 'ws')}/api/ws`, { headers: { cookie: person.cookie } });
    expect(await new Promise((resolve) => ws.once('unexpected-response', (_q, r) => resolve(r.statusCode)))).toBe(403);

    const weak = await person.post<{ error: string }>('/api/auth/password', {
      currentPassword: password,
      newPassword: 'ky-thuat-moi-1',
    });
    expect(weak.body.error).toBe('weak-password');
    expect((await person.get('/api/units')).status).toBe(403);
    const changed = await person.post('/api/auth/password', {
      currentPassword: password,
      newPassword: 'Lúa chiêm lấp ló đầu bờ',
    });
    expect(changed.status).toBe(204);
    expect((await person.get('/api/units')).status).toBe(200);
    expect((await person.post('/api/units', { id: 'cum-moi', name: 'Cụm mới' })).status).toBe(201);
  });

  it('starts again after an administrator’s reset; signing out stays open', async () => {
    const { person, id } = await newAccount('viewer', 'xem-moi');
    expect((await person.post('/api/auth/logout')).status).toBe(204);
    const reset = await server.admin.post<{ password: string }>(`/api/users/${id}/reset-password`);
    await person.login('xem-moi', reset.body.password);
    expect((await person.get<{ error: string }>('/api/bulletins')).body.error).toBe('password-change-required');
    await person.post('/api/auth/password', {
      currentPassword: reset.body.password,
      newPassword: 'Trâu ơi ta bảo trâu này',
    });
    expect((await person.get('/api/bulletins')).status).toBe(200);
  });

  it('counts a wrong current password like a wrong sign-in: a stolen session cannot guess it', async () => {
    const user = await server.userClient('editor');
    const change = (currentPassword: string) =>
      user.post<{ error: string }>('/api/auth/password', { currentPassword, newPassword: 'Gió đưa cành trúc la đà' });
    for (let i = 0; i < 3; i++) expect((await change(`doan-${i}`)).body.error).toBe('wrong-password');
    // Locked: even the right one is refused now, here and at the sign-in form.
    const locked = await change(user.password);
    expect(locked.status).toBe(429);
    expect(locked.body.error).toBe('account-locked');
    const signIn = await new ApiClient(server.base).post<{ error: string }>('/api/auth/login', {
      username: user.username,
      password: user.password,
    });
    expect(signIn.body.error).toBe('account-locked');
    const audit = await server.admin.get<{ entries: Array<{ subject: string }> }>('/api/audit?action=auth.locked');
    expect(audit.body.entries.map((e) => e.subject)).toContain(user.username);
    // A right one before the lock starts the count afresh.
    const other = await server.userClient('editor');
    const tryIt = (currentPassword: string, newPassword: string) =>
      other.post<{ error: string }>('/api/auth/password', { currentPassword, newPassword });
    for (let i = 0; i < 2; i++) expect((await tryIt('sai', 'x')).body.error).toBe('wrong-password');
    expect((await tryIt(other.password, 'Bầu ơi thương lấy bí cùng')).status).toBe(204);
    for (let i = 0; i < 2; i++) expect((await tryIt('sai', 'x')).body.error).toBe('wrong-password');
    expect((await tryIt('Bầu ơi thương lấy bí cùng', 'Tuy rằng khác giống nhưng chung một giàn')).status).toBe(204);
  });

  it('does not stop an API token of a machine account, whose password nobody uses', async () => {
    const made = await server.admin.post<{ user: { id: number } }>('/api/users', {
      username: 'he-thong',
      role: 'viewer',
    });
    const token = await server.admin.post<{ token: string }>('/api/tokens', {
      name: 'hệ thống tỉnh',
      userId: made.body.user.id,
      permissions: ['units:read'],
    });
    expect((await ApiClient.withToken(server.base, token.body.token).get('/api/units')).status).toBe(200);
  });

  it('takes the first administrator’s password from LOA_ADMIN_PASSWORD, and refuses a weak one at start', () => {
    expect(server.app.firstAdmin!.password).toBe('Một câu đủ dài cho quản trị 2026');
    for (const weak of ['ngan', 'admin-2026-loa', 'aaaaaaaaaaaaaa'])
      expect(() => loadConfig({ LOA_ADMIN_PASSWORD: weak }), weak).toThrow(ConfigError);
    expect(() => loadConfig({ LOA_ADMIN_PASSWORD: 'ngan' })).toThrow(/LOA_ADMIN_PASSWORD is refused/);
    expect(loadConfig({}).adminPassword).toBeUndefined();
  });
});
