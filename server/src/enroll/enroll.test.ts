// Enrollment (issue 7) against the real server: a one-time token made through the API, traded once
// on the public endpoint for the unit's identity, which the broker then accepts.
import { createHash } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../testing/start-server.js';
import { ApiClient } from '../testing/api-client.js';

let server: TestServer;
let anonymous: ApiClient;

interface Created {
  id: string;
  token: string;
  unitId: string | null;
  state: string;
  expiresAt: number;
}
interface Enrolled {
  unitId: string;
  secret: string;
  serverPublicKey: string;
  mqttUrl: string;
}

const connects = (username: string, password: string) =>
  mqtt
    .connectAsync(server.mqttUrl, { clientId: `loa-unit-${username}`, username, password, reconnectPeriod: 0 })
    .then(async (c) => (await c.endAsync(true), 'connected'))
    .catch((err: Error) => err.message);

beforeAll(async () => {
  server = await startServer();
  anonymous = new ApiClient(server.base);
});
afterAll(() => server?.close());

describe('enrollment tokens', () => {
  it('enrolls a new unit once: id, secret, server key and broker URL, and the broker lets it in', async () => {
    const made = await server.admin.post<Created>('/api/enrollment-tokens', { unitId: 'thon-moi', name: 'Thôn Mới' });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ unitId: 'thon-moi', state: 'pending' });
    expect(made.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(made.body.expiresAt - Date.now()).toBeGreaterThan(23 * 3600_000);

    const res = await anonymous.post<Enrolled>('/api/enroll', { token: made.body.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      unitId: 'thon-moi',
      serverPublicKey: server.app.signer.publicKeyPem,
      mqttUrl: `mqtt://127.0.0.1:${server.mqttPort}`,
    });
    expect(await connects('thon-moi', res.body.secret)).toBe('connected');
    expect((await server.admin.get<{ name: string }>('/api/units/thon-moi')).body.name).toBe('Thôn Mới');

    const again = await anonymous.post<{ error: string; message: string }>('/api/enroll', { token: made.body.token });
    expect(again.status).toBe(401);
    expect(again.body).toEqual({
      error: 'invalid-enrollment-token',
      message: 'This enrollment token is unknown, expired or already used. Ask the administrator for a new one.',
    });
    const list = await server.admin.get<{ tokens: { id: string; state: string; usedByUnit: string }[] }>(
      '/api/enrollment-tokens',
    );
    expect(list.body.tokens.find((t) => t.id === made.body.id)).toMatchObject({
      state: 'used',
      usedByUnit: 'thon-moi',
    });
    expect(JSON.stringify(list.body)).not.toContain(made.body.token);
    // Both steps are audited; neither keeps the token or the secret.
    const audit = await server.admin.get<{ entries: { action: string; subject: string }[] }>(
      '/api/audit?action=unit.*',
    );
    expect(audit.body.entries.map((e) => `${e.action} ${e.subject}`)).toEqual(
      expect.arrayContaining(['unit.enrollment-token thon-moi', 'unit.enroll thon-moi']),
    );
    expect(JSON.stringify(audit.body)).not.toContain(made.body.token);
    expect(JSON.stringify(audit.body)).not.toContain(res.body.secret);
  });

  it('gives an existing unit a new secret for its new board: the old secret stops working', async () => {
    const created = await server.admin.post<{ secret: string }>('/api/units', { id: 'thon-cu', name: 'Thôn Cũ' });
    expect(await connects('thon-cu', created.body.secret)).toBe('connected');
    const made = await server.admin.post<Created>('/api/enrollment-tokens', { unitId: 'thon-cu', name: 'bo mạch mới' });
    const res = await anonymous.post<Enrolled>('/api/enroll', { token: made.body.token });
    expect(res.body.unitId).toBe('thon-cu');
    expect(res.body.secret).not.toBe(created.body.secret);
    expect(await connects('thon-cu', res.body.secret)).toBe('connected');
    expect(await connects('thon-cu', created.body.secret)).toMatch(/bad user ?name or password/i);
    // The unit keeps its name: the token's name describes the enrollment, not the unit.
    expect((await server.admin.get<{ name: string }>('/api/units/thon-cu')).body.name).toBe('Thôn Cũ');
  });

  it('makes up an id when none is given, and refuses a revoked or unknown token', async () => {
    const made = await server.admin.post<Created>('/api/enrollment-tokens', { name: 'Chợ' });
    const res = await anonymous.post<Enrolled>('/api/enroll', { token: made.body.token });
    expect(res.body.unitId).toMatch(/^unit-[0-9a-f]{8}$/);

    const revoked = await server.admin.post<Created>('/api/enrollment-tokens', { name: 'Bến đò' });
    expect((await server.admin.request('DELETE', `/api/enrollment-tokens/${revoked.body.id}`)).status).toBe(204);
    expect((await anonymous.post('/api/enroll', { token: revoked.body.token })).status).toBe(401);
    expect((await anonymous.post('/api/enroll', { token: 'x'.repeat(43) })).status).toBe(401);
    expect((await anonymous.post('/api/enroll', {})).status).toBe(400);
  });

  it('never gives a unit the server’s own broker name, made directly or through enrollment', async () => {
    const unit = await server.admin.post<{ error: string; field: string }>('/api/units', {
      id: 'loa-server',
      name: 'Giả máy chủ',
    });
    expect(unit.status).toBe(400);
    expect(unit.body).toMatchObject({ error: 'reserved-unit-id', field: 'id' });
    const token = await server.admin.post<{ error: string; field: string }>('/api/enrollment-tokens', {
      unitId: 'loa-server',
      name: 'Giả máy chủ',
    });
    expect(token.body).toMatchObject({ error: 'reserved-unit-id', field: 'unitId' });
    // A token naming it that got in some other way (an old database) still cannot enroll it.
    const secret = 'x'.repeat(43);
    server.app.db
      .prepare(
        `INSERT INTO enrollment_tokens (id, token_hash, unit_id, name, created_at, expires_at)
         VALUES ('enr-cu', ?, 'loa-server', 'cũ', ?, ?)`,
      )
      .run(createHash('sha256').update(secret).digest('hex'), Date.now(), Date.now() + 3600_000);
    const enrolled = await anonymous.post<{ error: string }>('/api/enroll', { token: secret });
    expect(enrolled.status).toBe(400);
    expect(enrolled.body.error).toBe('reserved-unit-id');
    expect((await server.admin.get('/api/units/loa-server')).status).toBe(404);
    // Names beside it are ordinary ids.
    expect((await server.admin.post('/api/units', { id: 'loa-server-2', name: 'Cụm' })).status).toBe(201);
  });

  it('checks the commune and who may make tokens', async () => {
    const bad = await server.admin.post<{ error: string; field: string }>('/api/enrollment-tokens', {
      name: 'x',
      communeId: 'xa-khong-co',
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'unknown-commune', field: 'communeId' });
    expect((await anonymous.post('/api/enrollment-tokens', { name: 'x' })).status).toBe(401);
    const editor = await server.userClient('editor');
    const refused = await editor.post<{ error: string }>('/api/enrollment-tokens', { name: 'x' });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('forbidden');
  });
});
