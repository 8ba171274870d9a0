// The Commands API (issue 7) against the real server and its embedded broker, with a plain MQTT
// client standing in for the unit: it checks the signature the way the agent does, and answers.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandBody, decoder, topics } from '@loa/shared';
import { openEnvelope, keyIdOf, publicKeyFromPem } from '@loa/shared/envelope';
import { startServer, type TestServer } from '../testing/start-server.js';
import type { ApiClient } from '../testing/api-client.js';
import { waitFor } from '../testing/wait.js';
import type { HubEvents } from '../hub.js';

let server: TestServer;
let unit: { id: string; secret: string };
let client: MqttClient | undefined;
const received: CommandBody[] = [];
const acks: HubEvents['command-ack'][] = [];
const commandDecoder = decoder(CommandBody);

async function connectUnit(): Promise<MqttClient> {
  const key = publicKeyFromPem(server.app.signer.publicKeyPem);
  const keys = new Map([[keyIdOf(key), key]]);
  const c = await mqtt.connectAsync(server.mqttUrl, {
    clientId: `loa-unit-${unit.id}`,
    username: unit.id,
    password: unit.secret,
    reconnectPeriod: 0,
  });
  c.on('message', (_t, payload) => {
    const opened = openEnvelope(payload, keys, commandDecoder);
    if (opened.ok) received.push(opened.value);
  });
  await c.subscribeAsync(topics.cmd(unit.id), { qos: 1 });
  await c.publishAsync(topics.status(unit.id), JSON.stringify({ online: true, since: Date.now() }), {
    qos: 1,
    retain: true,
  });
  return c;
}

const ack = (id: string, ok: boolean, error?: string) =>
  client!.publishAsync(topics.cmdAck(unit.id), JSON.stringify({ id, ok, ...(error ? { error } : {}) }), { qos: 1 });

beforeAll(async () => {
  server = await startServer();
  const res = await server.admin.post<{ secret: string }>('/api/units', { id: 'thon-lenh-1', name: 'Thôn Lệnh' });
  unit = { id: 'thon-lenh-1', secret: res.body.secret };
  server.app.hub.on('command-ack', (e) => acks.push(e));
});
afterAll(async () => {
  await client?.endAsync(true);
  await server?.close();
});

describe('POST /api/units/:id/commands', () => {
  it('signs the command for the unit, publishes it, and records the unit’s acknowledgement', async () => {
    client = await connectUnit();
    const res = await server.admin.post<{ id: string; state: string; expiresAt: number }>(
      `/api/units/${unit.id}/commands`,
      { type: 'volume', args: { volume: 40 }, ttlSeconds: 60 },
    );
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ unitId: unit.id, type: 'volume', state: 'pending' });
    expect(res.body.expiresAt - Date.now()).toBeGreaterThan(55_000);
    const body = await waitFor('the signed command at the unit', () => received.find((c) => c.id === res.body.id));
    expect(body).toMatchObject({ unit: unit.id, type: 'volume', args: { volume: 40 }, expiresAt: res.body.expiresAt });
    await ack(res.body.id, true);
    const view = await waitFor('acked', async () => {
      const r = await server.admin.get<{ state: string; ackedAt?: number }>(
        `/api/units/${unit.id}/commands/${res.body.id}`,
      );
      return r.body.state === 'acked' ? r.body : undefined;
    });
    expect(view).toMatchObject({ id: res.body.id, unitId: unit.id, type: 'volume', args: { volume: 40 } });
    expect(view.ackedAt).toBeGreaterThan(0);
    expect(acks).toContainEqual(expect.objectContaining({ unitId: unit.id, commandId: res.body.id, ok: true }));
    // Who sent what to which unit is in the audit log.
    const audit = await server.admin.get<{
      entries: { action: string; subject: string; username: string; detail: unknown }[];
    }>('/api/audit?action=unit.command');
    expect(audit.body.entries[0]).toMatchObject({
      action: 'unit.command',
      subject: unit.id,
      username: 'admin',
      detail: expect.objectContaining({ command: res.body.id, type: 'volume', args: { volume: 40 } }),
    });
  });

  it('records a failed acknowledgement with the unit’s reason, and ignores a repeated one', async () => {
    const res = await server.admin.post<{ id: string }>(`/api/units/${unit.id}/commands`, { type: 'reboot' });
    await waitFor('received', () => received.find((c) => c.id === res.body.id));
    await ack(res.body.id, false, 'reboot command failed (1): sudo: a password is required');
    await ack(res.body.id, true);
    const view = await waitFor('failed', async () => {
      const r = await server.admin.get<{ state: string; error?: string }>(
        `/api/units/${unit.id}/commands/${res.body.id}`,
      );
      return r.body.state === 'failed' ? r.body : undefined;
    });
    expect(view.error).toBe('reboot command failed (1): sudo: a password is required');
    await new Promise((r) => setTimeout(r, 200));
    expect(
      (await server.admin.get<{ state: string }>(`/api/units/${unit.id}/commands/${res.body.id}`)).body.state,
    ).toBe('failed');
    expect(acks.filter((a) => a.commandId === res.body.id)).toHaveLength(1);
  });

  it('refuses bad arguments with the field to fix, before anything is sent', async () => {
    const sent = received.length;
    const cases: [unknown, number, string, string?][] = [
      [{ type: 'volume', args: { volume: 140 } }, 400, 'invalid-command', 'args.volume'],
      [{ type: 'volume' }, 400, 'invalid-command', 'args.volume'],
      [{ type: 'mute', args: { volume: 3 } }, 400, 'invalid-command', 'args.volume'],
      [{ type: 'test-tone', args: { seconds: 600 } }, 400, 'invalid-command', 'args.seconds'],
      [{ type: 'play-now', args: { sha256: 'nope' } }, 400, 'invalid-command', 'args.sha256'],
      [{ type: 'play-now', args: { sha256: 'ab'.repeat(32) } }, 404, 'media-not-found', 'args.sha256'],
      [{ type: 'self-destruct' }, 400, 'invalid-request'],
      [{ type: 'mute', ttlSeconds: 1 }, 400, 'invalid-request'],
    ];
    for (const [body, status, error, field] of cases) {
      const res = await server.admin.post<{ error: string; field?: string; message: string }>(
        `/api/units/${unit.id}/commands`,
        body,
      );
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error).toBe(error);
      if (field) expect(res.body.field).toBe(field);
      expect(res.body.message).toMatch(/\.$/);
    }
    expect((await server.admin.post(`/api/units/thon-khong-co/commands`, { type: 'mute' })).status).toBe(404);
    await new Promise((r) => setTimeout(r, 100));
    expect(received.length).toBe(sent);
  });

  it('sends pending commands again when an offline unit comes back, and expires the rest', async () => {
    await client!.endAsync(true);
    client = undefined;
    const late = await server.admin.post<{ id: string }>(`/api/units/${unit.id}/commands`, {
      type: 'mute',
      ttlSeconds: 60,
    });
    const short = await server.admin.post<{ id: string }>(`/api/units/${unit.id}/commands`, {
      type: 'unmute',
      ttlSeconds: 5,
    });
    await new Promise((r) => setTimeout(r, 5200));
    expect(
      (await server.admin.get<{ state: string }>(`/api/units/${unit.id}/commands/${short.body.id}`)).body.state,
    ).toBe('expired');
    client = await connectUnit();
    await waitFor('the pending command, again', () => received.find((c) => c.id === late.body.id));
    expect(received.some((c) => c.id === short.body.id)).toBe(false);
    const list = await server.admin.get<{ commands: { id: string; state: string }[] }>(
      `/api/units/${unit.id}/commands?limit=2`,
    );
    expect(list.body.commands.map((c) => c.id)).toEqual([short.body.id, late.body.id]);
  }, 15_000);

  it('is refused to an account without units:command', async () => {
    const viewer = await server.userClient('viewer');
    const res = await viewer.post<{ error: string }>(`/api/units/${unit.id}/commands`, { type: 'reboot' });
    expect(res.status).toBe(403);
    expect((await viewer.get(`/api/units/${unit.id}/commands`)).status).toBe(200);
  });
});

describe('sounds asked by command (rules 1 and 3, issue #4)', () => {
  it('lets a technician play only approved audio inside the windows; force needs the emergency permission, audited', async () => {
    const [tech, editor, leader] = [
      await server.userClient('technician'),
      await server.userClient('editor'),
      await server.userClient('approver'),
    ];
    const work = mkdtempSync(join(tmpdir(), 'loa-play-now-'));
    const upload = async (name: string, freq: number) => {
      execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `sine=f=${freq}:d=2`, join(work, name)]);
      const up = await editor.upload<{ sha256: string }>(join(work, name));
      expect(up.status).toBe(201);
      return up.body.sha256;
    };
    const loose = await upload('loose.mp3', 440);
    const approved = await upload('approved.mp3', 660);
    const b = await editor.post<{ id: string }>('/api/bulletins', {
      title: 'Lịch tiêm phòng',
      level: 'ordinary',
      mediaSha256: approved,
      targets: { unitIds: [unit.id] },
      recurrence: { days: [0, 1, 2, 3, 4, 5, 6], windowIds: ['morning'] },
      validFrom: new Date().toISOString(),
      validUntil: new Date(Date.now() + 86400_000).toISOString(),
    });
    await editor.post(`/api/bulletins/${b.body.id}/submit`);
    const send = (who: ApiClient, type: string, args: Record<string, unknown>) =>
      who.post<{ id: string; error: string; field: string }>(`/api/units/${unit.id}/commands`, { type, args });
    const sent = received.length;

    // Uploaded but not approved (yet): not for a technician, forced or not.
    expect((await send(tech, 'play-now', { sha256: approved })).body).toMatchObject({
      error: 'media-not-approved',
      field: 'args.sha256',
    });
    expect((await send(tech, 'play-now', { sha256: loose })).body.error).toBe('media-not-approved');
    await leader.post(`/api/bulletins/${b.body.id}/approve`);
    expect((await send(tech, 'play-now', { sha256: loose })).body.error).toBe('media-not-approved');
    // Outside the windows: the emergency permission, whatever the sound.
    for (const [type, args] of [
      ['play-now', { sha256: approved, force: true }],
      ['test-tone', { seconds: 2, force: true }],
    ] as const) {
      const res = await send(tech, type, args);
      expect(res.status, type).toBe(403);
      expect(res.body).toMatchObject({ error: 'forbidden', field: 'args.force' });
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(received.length).toBe(sent);

    const played = await send(tech, 'play-now', { sha256: approved });
    expect(played.status).toBe(202);
    expect((await send(tech, 'test-tone', { seconds: 2 })).status).toBe(202);
    // The administrator holds both units:command and emergency (an approver sends no unit commands).
    const forced = await send(server.admin, 'play-now', { sha256: loose, force: true });
    expect(forced.status).toBe(202);
    const body = await waitFor('the forced command at the unit', () => received.find((c) => c.id === forced.body.id));
    expect(body.args).toEqual({ sha256: loose, force: true });
    const audit = await server.admin.get<{ entries: { username: string; detail: Record<string, unknown> }[] }>(
      '/api/audit?action=unit.command',
    );
    const entry = audit.body.entries.find((e) => e.detail.command === forced.body.id);
    expect(entry).toMatchObject({ username: 'admin', detail: { forced: true, type: 'play-now' } });
    expect(audit.body.entries.find((e) => e.detail.command === played.body.id)!.detail.forced).toBeUndefined();
  }, 20_000);
});
