// Issue #4: a person who may no longer speak stops speaking. The live audio socket checks its
// credentials again when the person signs out, is deleted or demoted (at once), and every few
// seconds (a revoked API token); the session then ends and its units get live-stop.
import mqtt, { type MqttClient } from 'mqtt';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '@loa/shared';
import { opusPackets } from '@loa/shared/testing/opus';
import { ApiClient } from '../testing/api-client.js';
import { startServer, type TestServer } from '../testing/start-server.js';
import { waitFor } from '../testing/wait.js';

describe('the live audio socket of someone who may no longer speak', () => {
  let server: TestServer;
  let unit: MqttClient;
  const commands: Array<{ type: string; args: Record<string, unknown> }> = [];
  const frames: string[] = [];
  let voice: Buffer[];

  beforeAll(async () => {
    server = await startServer();
    const created = await server.admin.post<{ secret: string }>('/api/units', { id: 'cum-loa', name: 'Cụm loa' });
    unit = await mqtt.connectAsync(server.mqttUrl, {
      clientId: 'loa-unit-cum-loa',
      username: 'cum-loa',
      password: created.body.secret,
      reconnectPeriod: 0,
    });
    unit.on('message', (topic, payload) => {
      if (topic.startsWith(topics.live(''))) return void frames.push(topic.slice(topics.live('').length));
      const body = JSON.parse(JSON.parse(payload.toString()).body as string) as (typeof commands)[number] & {
        id: string;
      };
      commands.push(body);
      // Acknowledged and not awaited: an ack that the test's end cuts off is dropped, as a unit's would be.
      unit.publish(topics.cmdAck('cum-loa'), JSON.stringify({ id: body.id, ok: true }), { qos: 1 }, () => undefined);
    });
    await unit.subscribeAsync([topics.cmd('cum-loa'), topics.live('#')], { qos: 1 });
    voice = await opusPackets('sine=frequency=440:duration=0.2');
  });
  afterAll(async () => {
    await unit?.endAsync(true);
    await server?.close();
  });

  /** An emergency live (no window needed) on the unit, its socket open, one packet through. */
  async function speaking(who: ApiClient, headers: Record<string, string>) {
    const res = await who.post<{ id: string }>('/api/live', {
      communeId: 'default',
      targets: { unitIds: ['cum-loa'] },
      volume: 80,
      level: 'emergency',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const id = res.body.id;
    const ws = new WebSocket(`${server.base.replace(/^http/, 'ws')}/api/live/${id}/audio`, { headers });
    const notices: Array<{ type: string; reason?: string }> = [];
    ws.on('message', (data, binary) => {
      if (!binary) notices.push(JSON.parse(String(data)) as (typeof notices)[number]);
    });
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, r) => reject(new Error(`HTTP ${r.statusCode}`)));
    });
    const head = Buffer.alloc(4);
    ws.send(Buffer.concat([head, voice[0]!]));
    await waitFor('a frame on the air', () => frames.includes(id) || undefined);
    return { id, ws, notices, closed };
  }

  async function expectEnded(s: Awaited<ReturnType<typeof speaking>>, within: number) {
    const t0 = Date.now();
    expect(await s.closed).toBe(4401);
    expect(Date.now() - t0).toBeLessThan(within);
    expect(s.notices.at(-1)).toMatchObject({ type: 'ended', reason: expect.stringContaining('may no longer speak') });
    await waitFor('live-stop at the unit', () =>
      commands.find((c) => c.type === 'live-stop' && c.args.sessionId === s.id),
    );
    const view = await server.admin.get<{ endedAt: number | null; endReason: string }>(`/api/live/${s.id}`);
    expect(view.body.endedAt).not.toBeNull();
    expect(view.body.endReason).toContain('may no longer speak');
  }

  it('ends at once when the person signs out, not when another of their sessions does', async () => {
    const leader = await server.userClient('approver');
    const s = await speaking(leader, { cookie: leader.cookie });
    // The same person signing out on another device leaves this one speaking.
    const phone = new ApiClient(server.base);
    await phone.login(leader.username, leader.password);
    expect((await phone.post('/api/auth/logout')).status).toBe(204);
    await new Promise((r) => setTimeout(r, 300));
    expect(s.ws.readyState).toBe(WebSocket.OPEN);
    expect((await server.admin.get<{ endedAt: number | null }>(`/api/live/${s.id}`)).body.endedAt).toBeNull();

    expect((await leader.post('/api/auth/logout')).status).toBe(204);
    await expectEnded(s, 2000);
  });

  it('ends at once when the account is deleted, or loses the live permission', async () => {
    const deleted = await server.userClient('approver');
    const a = await speaking(deleted, { cookie: deleted.cookie });
    expect((await server.admin.delete(`/api/users/${deleted.id}`)).status).toBe(204);
    await expectEnded(a, 2000);

    const demoted = await server.userClient('approver');
    const b = await speaking(demoted, { cookie: demoted.cookie });
    expect((await server.admin.patch(`/api/users/${demoted.id}`, { role: 'editor' })).status).toBe(200);
    await expectEnded(b, 2000);
  });

  it('ends within seconds when the API token it speaks with is revoked', async () => {
    const made = await server.admin.post<{ token: string; apiToken: { id: number } }>('/api/tokens', {
      name: 'đài tỉnh',
      permissions: ['live', 'emergency'],
    });
    const machine = ApiClient.withToken(server.base, made.body.token);
    const s = await speaking(machine, { authorization: `Bearer ${made.body.token}` });
    expect((await server.admin.delete(`/api/tokens/${made.body.apiToken.id}`)).status).toBe(200);
    await expectEnded(s, 8000);
  }, 15_000);
});
