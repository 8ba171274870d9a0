// The emergency API (issue #8) against the real server and its embedded broker, with plain MQTT
// clients standing in for units: they check the signature the way the agent does, and answer.
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandBody, decoder, topics } from '@loa/shared';
import { openEnvelope, keyIdOf, publicKeyFromPem } from '@loa/shared/envelope';
import { startServer, type TestServer } from '../testing/start-server.js';
import { waitFor } from '../testing/wait.js';

let server: TestServer;
const secrets = new Map<string, string>();
const clients: MqttClient[] = [];
const received = new Map<string, CommandBody[]>();
const commandDecoder = decoder(CommandBody);

async function connectUnit(unitId: string): Promise<MqttClient> {
  const key = publicKeyFromPem(server.app.signer.publicKeyPem);
  const keys = new Map([[keyIdOf(key), key]]);
  const c = await mqtt.connectAsync(server.mqttUrl, {
    clientId: `loa-unit-${unitId}`,
    username: unitId,
    password: secrets.get(unitId)!,
    reconnectPeriod: 0,
  });
  c.on('message', (_t, payload) => {
    const opened = openEnvelope(payload, keys, commandDecoder);
    if (opened.ok && opened.value.unit === unitId)
      received.set(unitId, [...(received.get(unitId) ?? []), opened.value]);
  });
  await c.subscribeAsync(topics.cmd(unitId), { qos: 1 });
  await c.publishAsync(topics.status(unitId), JSON.stringify({ online: true, since: Date.now() }), {
    qos: 1,
    retain: true,
  });
  clients.push(c);
  return c;
}

interface View {
  id: string;
  sha256: string;
  validUntil: number;
  units: { unitId: string; commandId: string; state: string; error?: string }[];
}

let sha = '';

beforeAll(async () => {
  server = await startServer();
  for (const id of ['thon-a', 'thon-b', 'thon-c', 'thon-d']) {
    const res = await server.admin.post<{ secret: string }>('/api/units', { id, name: id });
    secrets.set(id, res.body.secret);
  }
  const zone = await server.admin.post('/api/zones', {
    id: 'ven-song',
    name: 'Ven sông',
    unitIds: ['thon-a', 'thon-b'],
  });
  expect(zone.status).toBe(201);
  for (const id of ['thon-a', 'thon-b', 'thon-c']) await connectUnit(id);
});
afterAll(async () => {
  for (const c of clients) await c.endAsync(true);
  await server?.close();
});

describe('POST /api/emergency', () => {
  it('reads a text aloud and sends one signed emergency command to every unit of the zone at once', async () => {
    const approver = await server.userClient('approver');
    const res = await approver.post<View>('/api/emergency', {
      communeId: 'default',
      title: 'Lũ quét',
      content: { ttsText: 'Thông báo khẩn: lũ quét, bà con di chuyển lên vùng cao ngay.' },
      targets: { zoneIds: ['ven-song'] },
      repeat: 3,
      volume: 90,
      validSeconds: 120,
    });
    expect(res.status).toBe(201);
    expect(res.body.units.map((u) => u.unitId)).toEqual(['thon-a', 'thon-b']);
    sha = res.body.sha256;
    for (const unitId of ['thon-a', 'thon-b']) {
      const cmd = await waitFor(`the emergency at ${unitId}`, () =>
        received.get(unitId)?.find((c) => c.type === 'emergency'),
      );
      expect(cmd.args).toMatchObject({ emergencyId: res.body.id, sha256: sha, repeat: 3, volume: 90 });
      expect(cmd.expiresAt).toBe(res.body.validUntil);
      expect(cmd.args.durationMs).toBeGreaterThan(1000);
    }
    expect(received.get('thon-c')).toBeUndefined();
    // The unit's answer shows in the emergency's view.
    const a = res.body.units[0]!;
    await clients[0]!.publishAsync(topics.cmdAck('thon-a'), JSON.stringify({ id: a.commandId, ok: true }), { qos: 1 });
    const view = await waitFor('acked', async () => {
      const r = await approver.get<View>(`/api/emergency/${res.body.id}`);
      return r.body.units[0]!.state === 'acked' ? r.body : undefined;
    });
    expect(view.units[1]!.state).toBe('pending');
    const list = await server.userClient('viewer');
    const listed = await list.get<{ emergencies: View[] }>('/api/emergency');
    expect(listed.status).toBe(200);
    expect(listed.body.emergencies.map((e) => e.id)).toEqual([res.body.id]);
    // Audited: who, what, where.
    const audit = await server.admin.get<{
      entries: { action: string; subject: string; username: string; detail: Record<string, unknown> }[];
    }>('/api/audit?action=emergency.start');
    expect(audit.body.entries[0]).toMatchObject({ subject: res.body.id, username: approver.username });
    expect(audit.body.entries[0]!.detail).toMatchObject({ units: ['thon-a', 'thon-b'], repeat: 3 });
  });

  it('the whole commune; an offline unit gets it when it comes back while valid, never after', async () => {
    const res = await server.admin.post<View>('/api/emergency', {
      communeId: 'default',
      content: { sha256: sha },
      targets: { commune: true },
      repeat: 1,
      volume: 100,
      validSeconds: 10,
    });
    expect(res.status).toBe(201);
    expect(res.body.units.map((u) => u.unitId)).toEqual(['thon-a', 'thon-b', 'thon-c', 'thon-d']);
    await waitFor('at thon-c', () => received.get('thon-c')?.find((c) => c.args.emergencyId === res.body.id));
    // thon-d was offline: it comes back within the validity and gets it.
    await connectUnit('thon-d');
    const late = await waitFor('at thon-d', () =>
      received.get('thon-d')?.find((c) => c.args.emergencyId === res.body.id),
    );
    expect(late.expiresAt).toBe(res.body.validUntil);
  });

  it('a unit back after the validity never gets it', async () => {
    const res = await server.admin.post<View>('/api/emergency', {
      communeId: 'default',
      content: { sha256: sha },
      targets: { unitIds: ['thon-d'] },
      repeat: 1,
      volume: 100,
      validSeconds: 10,
    });
    expect(res.status).toBe(201);
    await waitFor('at thon-d', () => received.get('thon-d')?.find((c) => c.args.emergencyId === res.body.id));
    const c = clients.pop()!;
    await c.endAsync(true);
    const again = await server.admin.post<View>('/api/emergency', {
      communeId: 'default',
      content: { sha256: sha },
      targets: { unitIds: ['thon-d'] },
      repeat: 1,
      volume: 100,
      validSeconds: 10,
    });
    await new Promise((r) => setTimeout(r, 10_500));
    const before = received.get('thon-d')!.length;
    await connectUnit('thon-d');
    await new Promise((r) => setTimeout(r, 1000));
    expect(
      received
        .get('thon-d')!
        .slice(before)
        .find((x) => x.args.emergencyId === again.body.id),
    ).toBeUndefined();
    const view = await server.admin.get<View>(`/api/emergency/${again.body.id}`);
    expect(view.body.units[0]!.state).toBe('expired');
  }, 20_000);

  it('refuses a user without the emergency permission, and bad targets, with a clear error', async () => {
    const editor = await server.userClient('editor');
    const body = { communeId: 'default', content: { sha256: sha }, targets: { commune: true }, repeat: 1, volume: 80 };
    const forbidden = await editor.post<{ error: string }>('/api/emergency', body);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toBe('forbidden');
    const tech = await server.userClient('technician');
    expect((await tech.post('/api/emergency', body)).status).toBe(403);
    const none = await server.admin.post<{ error: string; field: string }>('/api/emergency', { ...body, targets: {} });
    expect(none.status).toBe(400);
    expect(none.body).toMatchObject({ error: 'no-targets', field: 'targets' });
    const zone = await server.admin.post<{ error: string }>('/api/emergency', {
      ...body,
      targets: { zoneIds: ['khong-co'] },
    });
    expect(zone.status).toBe(404);
    expect(zone.body.error).toBe('zone-not-found');
    const media = await server.admin.post<{ error: string }>('/api/emergency', {
      ...body,
      content: { sha256: 'ab'.repeat(32) },
    });
    expect(media.status).toBe(404);
    expect(media.body.error).toBe('media-not-found');
    const repeat = await server.admin.post('/api/emergency', { ...body, repeat: 0 });
    expect(repeat.status).toBe(400);
    // A user scoped to another commune cannot reach this one.
    await server.admin.post('/api/communes', { id: 'khac', name: 'Xã khác', timeZone: 'Asia/Ho_Chi_Minh' });
    const other = await server.userClient('approver', { communeIds: ['khac'] });
    const outside = await other.post<{ error: string }>('/api/emergency', body);
    expect(outside.status).toBe(403);
    // Nor see this commune's emergencies.
    expect((await other.get<{ emergencies: View[] }>('/api/emergency')).body.emergencies).toEqual([]);
    // Nor name another commune's units from its own.
    const foreign = await other.post<{ error: string }>('/api/emergency', {
      ...body,
      communeId: 'khac',
      targets: { unitIds: ['thon-a'] },
    });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error).toBe('unit-not-found');
  });
});

describe('POST /api/emergency/:id/stop', () => {
  it('sends a signed stop naming it to its units, and a unit offline meanwhile never gets it', async () => {
    const res = await server.admin.post<{ secret: string }>('/api/units', {
      id: 'thon-e',
      name: 'thon-e',
      communeId: 'default',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    secrets.set('thon-e', res.body.secret);
    const approver = await server.userClient('approver');
    const started = await approver.post<View>('/api/emergency', {
      communeId: 'default',
      content: { ttsText: 'Báo nhầm, xin lỗi bà con.' },
      targets: { unitIds: ['thon-a', 'thon-e'] },
      repeat: 5,
      volume: 90,
      validSeconds: 600,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const id = started.body.id;
    await waitFor('at thon-a', () => received.get('thon-a')?.find((c) => c.args.emergencyId === id));

    const editor = await server.userClient('editor');
    expect((await editor.post(`/api/emergency/${id}/stop`, {})).status).toBe(403);
    const stopped = await approver.post<View & { stoppedAt: number | null }>(`/api/emergency/${id}/stop`, {});
    expect(stopped.status).toBe(200);
    expect(stopped.body.stoppedAt).toBeGreaterThan(0);
    const stop = await waitFor('the stop at thon-a', () =>
      received.get('thon-a')?.find((c) => c.type === 'stop' && c.args.emergencyId === id),
    );
    expect(stop.expiresAt).toBe(started.body.validUntil);
    // thon-e comes back: neither the emergency nor anything of it is sent any more.
    expect(stopped.body.units.find((u) => u.unitId === 'thon-e')?.state).toBe('expired');
    await connectUnit('thon-e');
    await new Promise((r) => setTimeout(r, 500));
    expect(received.get('thon-e')?.some((c) => c.args.emergencyId === id && c.type === 'emergency')).toBeFalsy();
    // Stopping again changes nothing; the audit says who stopped it.
    const again = await approver.post<{ stoppedAt: number }>(`/api/emergency/${id}/stop`, {});
    expect(again.body.stoppedAt).toBe(stopped.body.stoppedAt);
    const audit = await server.admin.get<{ entries: { action: string; subject: string; username: string }[] }>(
      '/api/audit?limit=20',
    );
    expect(audit.body.entries.filter((e) => e.action === 'emergency.stop' && e.subject === id)).toHaveLength(2);
  });

  it('refuses to stop one that is over, or unknown', async () => {
    const approver = await server.userClient('approver');
    expect((await approver.post<{ error: string }>('/api/emergency/em-khong-co/stop', {})).body.error).toBe(
      'emergency-not-found',
    );
    const started = await approver.post<View>('/api/emergency', {
      communeId: 'default',
      content: { ttsText: 'Thử.' },
      targets: { unitIds: ['thon-a'] },
      repeat: 1,
      volume: 50,
      validSeconds: 10,
    });
    server.app.db.prepare('UPDATE emergencies SET valid_until = ? WHERE id = ?').run(Date.now() - 1, started.body.id);
    const late = await approver.post<{ error: string }>(`/api/emergency/${started.body.id}/stop`, {});
    expect(late.status).toBe(409);
    expect(late.body.error).toBe('emergency-over');
  });
});
