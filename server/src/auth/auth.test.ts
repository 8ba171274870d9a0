// Sessions, CSRF, passwords and brute force through the real app (issue #4).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../testing/api-client.js';
import { startServer, type TestServer } from '../testing/start-server.js';

interface Me {
  user: { id: number; username: string; role: string; communeIds: string[] | null; permissions: string[] };
}

describe('signing in and sessions', () => {
  let server: TestServer;
  const firstAdmin = () => server.app.firstAdmin!;

  beforeAll(async () => {
    // Three failures lock an account for two seconds, so the lock's end is seen without a fake clock.
    server = await startServer({ LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT_SECONDS: '2' });
  });
  afterAll(async () => server?.close());

  it('sets an HttpOnly SameSite=Strict session cookie and a readable CSRF cookie, and says who I am', async () => {
    const res = await fetch(`${server.base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: firstAdmin().username, password: firstAdmin().password }),
    });
    expect(res.status).toBe(200);
    const cookies = res.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith('loa_session='))!;
    const csrf = cookies.find((c) => c.startsWith('loa_csrf='))!;
    expect(session).toMatch(/HttpOnly/i);
    expect(session).toMatch(/SameSite=Strict/i);
    expect(csrf).not.toMatch(/HttpOnly/i);
    expect(csrf).toMatch(/SameSite=Strict/i);
    const me = await server.admin.get<Me>('/api/auth/me');
    expect(me.body.user).toMatchObject({ username: 'admin', role: 'admin', communeIds: null });
    expect(me.body.user.permissions).toContain('users:manage');
    // Only hashes are stored: the cookie's value is nowhere in the database.
    const token = session.split(';')[0]!.split('=')[1]!;
    const rows = server.app.db.prepare('SELECT token_hash, csrf_hash FROM sessions').all() as Array<
      Record<string, string>
    >;
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('refuses a change without the CSRF header, or with another session’s, and changes nothing', async () => {
    const editor = await server.userClient('editor');
    const other = await server.userClient('technician');
    const forged = new ApiClient(server.base);
    forged.cookie = `loa_session=${editor.cookie.match(/loa_session=([^;]+)/)![1]}`;
    const before = (await server.admin.get<{ units: unknown[] }>('/api/units')).body.units.length;
    const tech = new ApiClient(server.base);
    tech.cookie = other.cookie;
    tech.sendCsrf = false;
    const noHeader = await tech.post<{ error: string }>('/api/units', { id: 'csrf-unit', name: 'x' });
    expect(noHeader.status).toBe(403);
    expect(noHeader.body.error).toBe('csrf-mismatch');
    // The technician's session cookie with the editor's CSRF token.
    const mixed = await fetch(`${server.base}/api/units`, {
      method: 'POST',
      headers: {
        cookie: other.cookie.replace(/loa_csrf=[^;]+/, ''),
        'x-csrf-token': editor.cookie.match(/loa_csrf=([^;]+)/)![1]!,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ id: 'csrf-unit', name: 'x' }),
    });
    expect(mixed.status).toBe(403);
    expect((await server.admin.get<{ units: unknown[] }>('/api/units')).body.units.length).toBe(before);
    // Reading needs no CSRF token.
    expect((await forged.get('/api/units')).status).toBe(200);
    expect((await other.post('/api/units', { id: 'csrf-unit', name: 'x' })).status).toBe(201);
  });

  it('ends the session on sign-out: the old cookie no longer works', async () => {
    const viewer = await server.userClient('viewer');
    const stolen = new ApiClient(server.base);
    stolen.cookie = viewer.cookie;
    expect((await stolen.get('/api/units')).status).toBe(200);
    expect((await viewer.post('/api/auth/logout')).status).toBe(204);
    expect((await stolen.get('/api/units')).status).toBe(401);
    expect((await viewer.get('/api/auth/me')).status).toBe(401);
  });

  it('changes a password only with the current one, refuses weak ones, and signs out other sessions', async () => {
    const user = await server.userClient('editor');
    const laptop = new ApiClient(server.base);
    await laptop.login(user.username, user.password);
    const wrong = await user.post<{ field: string }>('/api/auth/password', {
      currentPassword: 'not it',
      newPassword: 'a long enough new password',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.field).toBe('currentPassword');
    for (const weak of ['short', `${user.username}-1234567`, 'aaaaaaaaaaaa']) {
      const res = await user.post<{ error: string }>('/api/auth/password', {
        currentPassword: user.password,
        newPassword: weak,
      });
      expect(res.status, weak).toBe(400);
      expect(res.body.error).toBe('weak-password');
    }
    const ok = await user.post('/api/auth/password', {
      currentPassword: user.password,
      newPassword: 'Mùa lúa chín vàng 2026',
    });
    expect(ok.status).toBe(204);
    expect((await user.get('/api/auth/me')).status).toBe(200);
    expect((await laptop.get('/api/auth/me')).status).toBe(401);
    const again = new ApiClient(server.base);
    await expect(again.login(user.username, user.password)).rejects.toThrow(/401/);
    await again.login(user.username, 'Mùa lúa chín vàng 2026');
  });

  it('locks an account after repeated wrong passwords, even against the right one, then lets it in again', async () => {
    const user = await server.userClient('viewer');
    const attacker = new ApiClient(server.base);
    for (let i = 0; i < 3; i++)
      expect((await attacker.post('/api/auth/login', { username: user.username, password: `guess-${i}` })).status).toBe(
        401,
      );
    const locked = await attacker.post<{ error: string; message: string }>('/api/auth/login', {
      username: user.username,
      password: user.password,
    });
    expect(locked.status).toBe(429);
    expect(locked.body.error).toBe('account-locked');
    // The same answer for a name that does not exist: a lock does not reveal which names are real.
    for (let i = 0; i < 3; i++) await attacker.post('/api/auth/login', { username: 'nobody-here', password: 'x' });
    expect((await attacker.post('/api/auth/login', { username: 'nobody-here', password: 'x' })).status).toBe(429);
    const audit = await server.admin.get<{ entries: Array<{ subject: string }> }>('/api/audit?action=auth.locked');
    expect(audit.body.entries.map((e) => e.subject)).toContain(user.username);
    const listed = await server.admin.get<{ users: Array<{ username: string; lockedUntil: number | null }> }>(
      '/api/users',
    );
    expect(listed.body.users.find((u) => u.username === user.username)!.lockedUntil).toBeGreaterThan(Date.now());
    await new Promise((r) => setTimeout(r, 2100));
    await attacker.login(user.username, user.password);
  });

  it('lifts a lock and signs the account out everywhere when an administrator resets the password', async () => {
    const user = await server.userClient('technician');
    const attacker = new ApiClient(server.base);
    for (let i = 0; i < 3; i++) await attacker.post('/api/auth/login', { username: user.username, password: 'x' });
    expect((await attacker.post('/api/auth/login', { username: user.username, password: user.password })).status).toBe(
      429,
    );
    const reset = await server.admin.post<{ password: string; sessionsRevoked: number }>(
      `/api/users/${user.id}/reset-password`,
    );
    expect(reset.status).toBe(200);
    expect(reset.body.sessionsRevoked).toBeGreaterThanOrEqual(1);
    expect((await user.get('/api/auth/me')).status).toBe(401);
    const fresh = new ApiClient(server.base);
    await fresh.login(user.username, reset.body.password);
    expect(
      (await fresh.get<{ user: { mustChangePassword: boolean } }>('/api/auth/me')).body.user.mustChangePassword,
    ).toBe(true);
  });
});

describe('sign-in attempts from one address', () => {
  it('are limited per minute, whatever the names tried', async () => {
    const server = await startServer();
    try {
      const spray = new ApiClient(server.base);
      const statuses: number[] = [];
      // The start signed the admin in once: 59 attempts remain in this minute.
      for (let i = 0; i < 62; i++)
        statuses.push((await spray.post('/api/auth/login', { username: `spray-${i}`, password: 'x' })).status);
      expect(statuses.slice(0, 59).every((s) => s === 401)).toBe(true);
      expect(statuses.slice(59)).toEqual([429, 429, 429]);
      const res = await spray.post<{ error: string }>('/api/auth/login', { username: 'admin', password: 'x' });
      expect(res.body.error).toBe('too-many-attempts');
    } finally {
      await server.close();
    }
  });
});

describe('accounts', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.close());

  it('answers 401 to the session cookie of a deleted account, and keeps its name in the audit log', async () => {
    const user = await server.userClient('editor');
    expect((await user.get('/api/bulletins')).status).toBe(200);
    expect((await server.admin.delete(`/api/users/${user.id}`)).status).toBe(204);
    const res = await user.get<{ error: string }>('/api/bulletins');
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('unauthenticated');
    await expect(new ApiClient(server.base).login(user.username, user.password)).rejects.toThrow(/401/);
    const audit = await server.admin.get<{ entries: Array<{ action: string; detail: { username?: string } }> }>(
      `/api/audit?action=user.delete&subject=${user.id}`,
    );
    expect(audit.body.entries[0]!.detail.username).toBe(user.username);
    // The name is free again.
    expect((await server.admin.post('/api/users', { username: user.username, role: 'viewer' })).status).toBe(201);
  });

  it('applies a change of role at once, and never leaves the province without an administrator', async () => {
    const user = await server.userClient('viewer');
    expect((await user.post('/api/units', { id: 'role-unit', name: 'x' })).status).toBe(403);
    expect((await server.admin.patch(`/api/users/${user.id}`, { role: 'technician' })).status).toBe(200);
    // Demoted or promoted, the account signs in again and gets its new rights.
    await user.login(user.username, user.password);
    expect((await user.post('/api/units', { id: 'role-unit', name: 'x' })).status).toBe(201);
    const me = (await server.admin.get<Me>('/api/auth/me')).body.user;
    const demote = await server.admin.patch<{ error: string }>(`/api/users/${me.id}`, { role: 'editor' });
    expect(demote.status).toBe(409);
    expect(demote.body.error).toBe('last-admin');
    expect((await server.admin.delete<{ error: string }>(`/api/users/${me.id}`)).body.error).toBe('delete-self');
  });

  it('gives a generated password once, refuses unknown communes and duplicate names', async () => {
    const created = await server.admin.post<{ user: { id: number }; password: string }>('/api/users', {
      username: 'can-bo-xa',
      role: 'editor',
      communeIds: ['default'],
    });
    expect(created.status).toBe(201);
    expect(created.body.password).toMatch(/^\S{16}$/);
    const list = await server.admin.get<{ users: unknown[] }>('/api/users');
    expect(JSON.stringify(list.body)).not.toContain(created.body.password);
    expect((await server.admin.post('/api/users', { username: 'can-bo-xa', role: 'viewer' })).status).toBe(409);
    const bad = await server.admin.post<{ field: string }>('/api/users', {
      username: 'x-2',
      role: 'viewer',
      communeIds: ['nowhere'],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('communeIds');
    const audit = await server.admin.get<{ entries: Array<{ detail: { body: { password?: string } } }> }>(
      '/api/audit?action=user.create',
    );
    expect(JSON.stringify(audit.body)).not.toContain(created.body.password);
  });
});
