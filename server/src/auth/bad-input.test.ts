// Issue #4's bad input at the API: SQL metacharacters and <script> in every free-text field are
// stored as text and come back verbatim (as JSON, never HTML); identifiers keep their patterns; an
// upload by a viewer is refused with nothing stored. (Brute force, a deleted user's cookie: auth.test.ts;
// forged and replayed plans, expired commands: broker tests and tests/trust.e2e.test.ts.)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer, type TestUser } from '../testing/start-server.js';

const EVIL = `Thôn'); DROP TABLE units;-- <script>alert("loa")</script> " OR '1'='1 %_\\ <img src=x onerror=alert(1)>`;

describe('text that looks like code', () => {
  let server: TestServer;
  let editor: TestUser;
  let approver: TestUser;
  let audio: string;

  beforeAll(async () => {
    server = await startServer();
    editor = await server.userClient('editor');
    approver = await server.userClient('approver');
    const work = mkdtempSync(join(tmpdir(), 'loa-evil-'));
    audio = join(work, 'a.mp3');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=duration=2', audio]);
  });
  afterAll(async () => server?.close());

  const tablesIntact = () => {
    for (const t of ['units', 'bulletins', 'zones', 'communes', 'villages', 'users', 'audit_log', 'api_tokens'])
      expect(server.app.db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get(), t).toBeDefined();
  };

  it('is kept verbatim in every free-text field, and returned as JSON', async () => {
    const { admin } = server;
    const commune = await admin.post<{ name: string }>('/api/communes', { id: 'xa-thu', name: EVIL });
    expect(commune.body.name).toBe(EVIL);
    expect(
      (await admin.request<{ name: string }>('PATCH', '/api/communes/xa-thu', { name: EVIL + '2' })).body.name,
    ).toBe(EVIL + '2');
    const village = await admin.post<{ name: string }>('/api/communes/xa-thu/villages', { id: 'thon-thu', name: EVIL });
    expect(village.body.name).toBe(EVIL);
    const unit = await admin.post<{ unit: { name: string } }>('/api/units', {
      id: 'cum-thu',
      name: EVIL,
      communeId: 'xa-thu',
      villageId: 'thon-thu',
    });
    expect(unit.body.unit.name).toBe(EVIL);
    expect((await admin.patch<{ name: string }>('/api/units/cum-thu', { name: EVIL + '3' })).body.name).toBe(
      EVIL + '3',
    );
    const zone = await admin.post<{ name: string }>('/api/zones', {
      id: 'zone-thu',
      name: EVIL,
      communeId: 'xa-thu',
      unitIds: ['cum-thu'],
    });
    expect(zone.body.name).toBe(EVIL);
    const token = await admin.post<{ apiToken: { name: string } }>('/api/tokens', {
      name: EVIL,
      permissions: ['units:read'],
    });
    expect(token.body.apiToken.name).toBe(EVIL);

    const up = await editor.upload<{ sha256: string }>(audio);
    const bulletin = await editor.post<{ id: string; title: string; text: string }>('/api/bulletins', {
      communeId: 'xa-thu',
      title: EVIL,
      text: EVIL.repeat(3),
      level: 'ordinary',
      mediaSha256: up.body.sha256,
      targets: { zoneIds: ['zone-thu'] },
      recurrence: { days: [1], windowIds: ['morning'] },
      validFrom: new Date().toISOString(),
      validUntil: new Date(Date.now() + 86400_000).toISOString(),
    });
    expect(bulletin.status, JSON.stringify(bulletin.body)).toBe(201);
    expect(bulletin.body).toMatchObject({ title: EVIL, text: EVIL.repeat(3) });
    await editor.post(`/api/bulletins/${bulletin.body.id}/submit`);
    const rejected = await approver.post<{ rejectedReason: string }>(`/api/bulletins/${bulletin.body.id}/reject`, {
      reason: EVIL,
    });
    expect(rejected.body.rejectedReason).toBe(EVIL);

    // Read back through every list, byte for byte.
    const res = await fetch(`${server.base}/api/bulletins/${bulletin.body.id}`, { headers: { cookie: editor.cookie } });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await res.json()) as { title: string }).title).toBe(EVIL);
    expect((await admin.get<{ units: Array<{ name: string }> }>('/api/units')).body.units.map((u) => u.name)).toContain(
      EVIL + '3',
    );
    expect((await admin.get<{ zones: Array<{ name: string }> }>('/api/zones')).body.zones.map((z) => z.name)).toContain(
      EVIL,
    );
    expect(
      (await admin.get<{ villages: Array<{ name: string }> }>('/api/communes/xa-thu/villages')).body.villages[0]!.name,
    ).toBe(EVIL);
    const audit = await admin.get<{ entries: Array<{ detail: { body?: { reason?: string } } }> }>(
      `/api/audit?action=bulletin.reject`,
    );
    expect(audit.body.entries[0]!.detail.body!.reason).toBe(EVIL);
    tablesIntact();
  });

  it('is kept verbatim in emergencies, live sessions, spoken text, upload names and enrollment', async () => {
    const { admin } = server;
    expect((await admin.post('/api/units', { id: 'cum-khan', name: 'Cụm khẩn', communeId: 'default' })).status).toBe(
      201,
    );
    const media = (sha: string) => admin.get<{ text: string | null; originalName: string | null }>(`/api/media/${sha}`);

    // Read aloud: kept short, and both at once, text to speech being the slow part.
    const said = `<script>alert(1)</script> '); DROP TABLE media;--`;
    const [spoken, emergency] = await Promise.all([
      editor.post<{ sha256: string; text: string }>('/api/media/tts', { text: said }),
      approver.post<{ id: string; title: string; sha256: string }>('/api/emergency', {
        communeId: 'default',
        title: EVIL,
        content: { ttsText: `${said} khẩn` },
        targets: { unitIds: ['cum-khan'] },
        repeat: 1,
        volume: 100,
      }),
    ]);
    expect(spoken.status, JSON.stringify(spoken.body)).toBe(201);
    expect(spoken.body.text).toBe(said);
    expect((await media(spoken.body.sha256)).body.text).toBe(said);

    // Other sound than the first test's upload, which would be found again under its old name.
    const other = join(mkdtempSync(join(tmpdir(), 'loa-evil-')), 'b.mp3');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=f=550:d=1', other]);
    // A name a file can have: no / or \ (a name is cut after its last one, as a path some browsers
    // send), no " (which a browser sends as %22).
    const name = `Thôn'); DROP TABLE media;-- <img src=x onerror=alert(1)> <script>alert('loa') %_.mp3`;
    const up = await editor.upload<{ sha256: string; originalName: string }>(other, name);
    expect(up.status, JSON.stringify(up.body)).toBe(201);
    expect(up.body.originalName).toBe(name);
    expect((await media(up.body.sha256)).body.originalName).toBe(name);

    expect(emergency.status, JSON.stringify(emergency.body)).toBe(201);
    expect(emergency.body.title).toBe(EVIL);
    expect((await admin.get<{ title: string }>(`/api/emergency/${emergency.body.id}`)).body.title).toBe(EVIL);
    expect((await media(emergency.body.sha256)).body.text).toBe(`${said} khẩn`);
    await approver.post(`/api/emergency/${emergency.body.id}/stop`);

    const live = await approver.post<{ id: string; title: string }>('/api/live', {
      communeId: 'default',
      title: EVIL,
      targets: { unitIds: ['cum-khan'] },
      volume: 80,
      level: 'emergency',
    });
    expect(live.status, JSON.stringify(live.body)).toBe(201);
    expect(live.body.title).toBe(EVIL);
    expect((await admin.get<{ title: string }>(`/api/live/${live.body.id}`)).body.title).toBe(EVIL);
    await approver.post(`/api/live/${live.body.id}/stop`, {});

    const enrollment = await admin.post<{ id: string; name: string }>('/api/enrollment-tokens', { name: EVIL });
    expect(enrollment.status, JSON.stringify(enrollment.body)).toBe(201);
    expect(enrollment.body.name).toBe(EVIL);
    const tokens = await admin.get<{ tokens: Array<{ id: string; name: string }> }>('/api/enrollment-tokens');
    expect(tokens.body.tokens.find((t) => t.id === enrollment.body.id)!.name).toBe(EVIL);
    tablesIntact();
  }, 30_000);

  it('is refused where the field is an identifier, with nothing stored', async () => {
    const before = (await server.admin.get<{ units: unknown[] }>('/api/units')).body.units.length;
    for (const [path, body] of [
      ['/api/units', { id: "x'); DROP TABLE units;--", name: 'x' }],
      ['/api/units', { id: '<script>', name: 'x' }],
      ['/api/zones', { id: "zone' OR '1'='1", name: 'x', unitIds: [] }],
      ['/api/users', { username: "admin'--", role: 'viewer' }],
      ['/api/users', { username: '<script>alert(1)</script>', role: 'viewer' }],
    ] as const) {
      const res = await server.admin.post<{ error: string; field?: string }>(path, body);
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(res.body.error).toBe('invalid-request');
    }
    // In a path or a query, too: a lookup, never SQL.
    expect((await server.admin.get(`/api/units/${encodeURIComponent("cum-thu' OR '1'='1")}`)).status).toBe(400);
    expect(
      (await server.admin.get<{ entries: unknown[] }>(`/api/audit?action=${encodeURIComponent("x' OR '1'='1")}`)).body
        .entries,
    ).toEqual([]);
    expect((await server.admin.get<{ units: unknown[] }>('/api/units')).body.units.length).toBe(before);
    tablesIntact();
  });

  it('refuses an upload by a viewer, storing nothing', async () => {
    const viewer = await server.userClient('viewer');
    const mediaDir = join(server.dataDir, 'media');
    const filesBefore = existsSync(mediaDir) ? readdirSync(mediaDir, { recursive: true }).length : 0;
    const listed = (await server.admin.get<{ media: unknown[] }>('/api/media')).body.media.length;
    const res = await viewer.upload<{ error: string }>(audio, 'loa-viewer.mp3');
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('forbidden');
    expect((await server.admin.get<{ media: unknown[] }>('/api/media')).body.media.length).toBe(listed);
    expect(existsSync(mediaDir) ? readdirSync(mediaDir, { recursive: true }).length : 0).toBe(filesBefore);
    const async = await viewer.request<{ error: string }>('POST', '/api/media?async=1', await form());
    expect(async.status).toBe(403);

    async function form() {
      const { openAsBlob } = await import('node:fs');
      const f = new FormData();
      f.append('file', await openAsBlob(audio), 'x.mp3');
      return f;
    }
  });
});
