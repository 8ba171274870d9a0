// Issue #4: every route declares the permission it needs, and a test walks the whole route table
// checking every role — and an administrator of one commune, and an API token with some permissions
// — against every route: allowed → 2xx, 400, 404 or 409 (or an outcome explained below),
// forbidden → 403, anonymous → 401. The table is the app's own (collected by an onRoute hook as
// routes register), so a route added later without a permission fails here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../testing/api-client.js';
import { startServer, type TestServer, type TestUser } from '../testing/start-server.js';
import { PERMISSIONS, ROLES, ROLE_PERMISSIONS, SELF, type Role } from './permissions.js';
import type { RouteEntry } from './auth.plugin.js';

/**
 * What an allowed caller may get back from the walk's empty request: done, refused as invalid, the
 * victim already gone (deleted by an earlier caller) or in a state that forbids it.
 */
const ALLOWED = [200, 201, 202, 204, 400, 404, 409];
/** Other answers that are a real outcome of the empty request, each explained. */
const EXPLAINED: Record<string, number> = {
  // An upload is a multipart form; a JSON body is the wrong kind of request.
  'POST /api/media': 415,
};

describe('the route table', () => {
  let server: TestServer;
  const clients = new Map<Role, ApiClient>();
  const users = new Map<Role, TestUser>();
  let routes: RouteEntry[];
  const victims = { unit: 'victim-unit', zone: 'victim-zone', bulletin: 'b-victim', user: 0, token: 0 };
  /** Who walks the table, and which routes each may use. */
  const walkers = new Map<string, { api: ApiClient; allows: (r: RouteEntry) => boolean }>();
  const has = (role: Role, r: RouteEntry) => ROLE_PERMISSIONS[role].has(r.permission as never);

  beforeAll(async () => {
    server = await startServer();
    clients.set('admin', server.admin);
    for (const role of ROLES.filter((r) => r !== 'admin')) {
      const u = await server.userClient(role);
      users.set(role, u);
      clients.set(role, u);
    }
    // Things the walk may change or delete without hurting the accounts doing the walking.
    expect((await server.admin.post('/api/units', { id: victims.unit, name: 'Victim' })).status).toBe(201);
    expect(
      (await server.admin.post('/api/zones', { id: victims.zone, name: 'Victim', unitIds: [victims.unit] })).status,
    ).toBe(201);
    const now = Date.now();
    server.app.db
      .prepare(
        `INSERT INTO bulletins (id, commune_id, title, level, state, targets, recurrence, valid_from, valid_until, created_at, updated_at)
         VALUES (?, 'default', 'Victim', 'ordinary', 'submitted', '{"unitIds":["victim-unit"]}', '{"days":[1]}', ?, ?, ?, ?)`,
      )
      .run(victims.bulletin, now, now + 86400_000, now, now);
    const victim = await server.admin.post<{ user: { id: number } }>('/api/users', {
      username: 'victim',
      role: 'viewer',
    });
    victims.user = victim.body.user.id;
    const token = await server.admin.post<{ apiToken: { id: number } }>('/api/tokens', {
      name: 'victim',
      permissions: ['units:read'],
    });
    victims.token = token.body.apiToken.id;
    routes = server.app.routeTable.filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD');
    for (const role of ROLES)
      walkers.set(role, { api: clients.get(role)!, allows: (r) => r.permission === SELF || has(role, r) });
    // An administrator of one commune: everything an administrator may, but the province's routes.
    await server.admin.post('/api/communes', { id: 'xa-khac', name: 'Xã khác' });
    const local = await server.userClient('admin', { communeIds: ['default'] });
    walkers.set('admin@default', {
      api: local,
      allows: (r) => r.permission === SELF || (has('admin', r) && r.scope !== 'province'),
    });
    // A machine: an administrator's own token with some permissions only.
    const granted = ['units:read', 'units:manage', 'bulletins:read', 'bulletins:write', 'media:read', 'schedule:read'];
    const made = await server.admin.post<{ token: string }>('/api/tokens', { name: 'máy', permissions: granted });
    expect(made.status).toBe(201);
    walkers.set('token', {
      api: ApiClient.withToken(server.base, made.body.token),
      allows: (r) => r.permission === SELF || granted.includes(r.permission as string),
    });
  });
  afterAll(async () => server?.close());

  /** A concrete URL for a route pattern: the victims for ids, something harmless for the rest. */
  function urlOf(pattern: string): string {
    return pattern.replace(/:([A-Za-z]+)/g, (_m, name: string, offset: number) => {
      const before = pattern.slice(0, offset);
      if (name === 'sha256') return 'a'.repeat(64);
      if (name !== 'id') return '1';
      if (before.endsWith('/api/units/')) return victims.unit;
      if (before.endsWith('/api/zones/')) return victims.zone;
      if (before.endsWith('/api/bulletins/')) return victims.bulletin;
      if (before.endsWith('/api/communes/')) return 'default';
      if (before.endsWith('/api/users/')) return String(victims.user);
      if (before.endsWith('/api/tokens/')) return String(victims.token);
      return '1';
    });
  }

  async function call(client: ApiClient, r: RouteEntry) {
    const body = ['POST', 'PUT', 'PATCH'].includes(r.method) ? {} : undefined;
    return client.request<{ error?: string }>(r.method, urlOf(r.url), body);
  }

  it('has every /api route declare a known permission, or say it is public', () => {
    expect(routes.length).toBeGreaterThan(30);
    const known = new Set<string>([...PERMISSIONS, SELF]);
    const undeclared = routes.filter((r) => !r.public && !r.permission).map((r) => `${r.method} ${r.url}`);
    expect(undeclared, 'routes without config.permission').toEqual([]);
    const unknown = routes.filter((r) => r.permission && !known.has(r.permission)).map((r) => `${r.method} ${r.url}`);
    expect(unknown, 'routes naming a permission that does not exist').toEqual([]);
    // Public, and reviewed: signing in; what a load balancer or a unit needs before anyone signs in
    // (health, the server's public key); a board enrolling with its one-time token (the token is
    // the credential). A new public route must be added here on purpose.
    expect(
      routes
        .filter((r) => r.public)
        .map((r) => `${r.method} ${r.url}`)
        .sort(),
    ).toEqual(['GET /api/health', 'GET /api/server-key', 'POST /api/auth/login', 'POST /api/enroll'].sort());
  });

  it('answers 401 to anonymous callers on every route that is not public', async () => {
    const anonymous = new ApiClient(server.base);
    const wrong: string[] = [];
    for (const r of routes.filter((x) => !x.public)) {
      const res = await call(anonymous, r);
      if (res.status !== 401 || res.body?.error !== 'unauthenticated')
        wrong.push(`${r.method} ${r.url} → ${res.status}`);
    }
    expect(wrong).toEqual([]);
  });

  it('lets each role through exactly the routes its permissions allow, and answers 403 to the rest', async () => {
    const wrong: string[] = [];
    // Signing out ends the session the walk uses: it goes last.
    const ordered = [...routes.filter((r) => !r.public)].sort(
      (a, b) => Number(a.url === '/api/auth/logout') - Number(b.url === '/api/auth/logout'),
    );
    for (const r of ordered) {
      for (const [who, client] of walkers) {
        const allowed = client.allows(r);
        const res = await call(client.api, r);
        const ok = allowed
          ? ALLOWED.includes(res.status) || EXPLAINED[`${r.method} ${r.url}`] === res.status
          : res.status === 403 && res.body?.error === 'forbidden';
        if (!ok)
          wrong.push(`${who} ${r.method} ${r.url} (${r.permission}) → ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('refuses a change sent with the session cookie but without the CSRF header, on every changing route', async () => {
    const admin = new ApiClient(server.base);
    await admin.login(server.app.firstAdmin!.username, server.app.firstAdmin!.password);
    const forged = new ApiClient(server.base);
    forged.cookie = admin.cookie;
    forged.sendCsrf = false;
    const wrong: string[] = [];
    for (const r of routes.filter((x) => !x.public && ['POST', 'PUT', 'PATCH', 'DELETE'].includes(x.method))) {
      const res = await call(forged, r);
      if (res.status !== 403 || res.body?.error !== 'csrf-mismatch') wrong.push(`${r.method} ${r.url} → ${res.status}`);
    }
    expect(wrong).toEqual([]);
  });
});
