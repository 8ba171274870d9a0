// Issue #8's live sessions on the real server: who may start one, one per unit, the browser's
// packets checked and forwarded as HMAC-tagged Ogg pages that ffmpeg decodes, bad messages dropped
// while the session goes on, and the ends (stop, the page closing, silence) reaching the units.
import { execFile } from 'node:child_process';
import mqtt, { type MqttClient } from 'mqtt';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { formatClock, toZoned, topics } from '@loa/shared';
import { openLiveFrame } from '@loa/shared/live-frame';
import { opusPackets } from '@loa/shared/testing/opus';
import { ApiClient } from '../testing/api-client.js';
import { startServer, type TestServer, type TestUser } from '../testing/start-server.js';
import { waitFor } from '../testing/wait.js';

interface Command {
  id: string;
  type: string;
  args: Record<string, string | number>;
  expiresAt: number;
}

/** A unit that answers every command and keeps what arrives on the live topics. */
async function fakeUnit(server: TestServer, id: string) {
  const created = await server.admin.post<{ secret: string }>('/api/units', { id, name: `Cụm ${id}` });
  const client: MqttClient = await mqtt.connectAsync(server.mqttUrl, {
    clientId: `loa-unit-${id}`,
    username: id,
    password: created.body.secret,
    reconnectPeriod: 0,
  });
  const commands: Command[] = [];
  const frames: { session: string; payload: Buffer }[] = [];
  client.on('message', (topic, payload) => {
    if (topic.startsWith(topics.live(''))) {
      frames.push({ session: topic.slice(topics.live('').length), payload });
      return;
    }
    const body = JSON.parse(JSON.parse(payload.toString()).body as string) as Command;
    commands.push(body);
    // Acknowledged and not awaited: an ack that the test's end cuts off is dropped, as a unit's would be.
    client.publish(topics.cmdAck(id), JSON.stringify({ id: body.id, ok: true }), { qos: 1 }, () => undefined);
  });
  await client.subscribeAsync([topics.cmd(id), topics.live('#')], { qos: 1 });
  return { id, client, commands, frames };
}

describe('live sessions', () => {
  let server: TestServer;
  let leader: TestUser;
  let other: TestUser;
  let editor: TestUser;
  let units: Awaited<ReturnType<typeof fakeUnit>>[];
  let voice: Buffer[];

  beforeAll(async () => {
    server = await startServer({ LIVE_IDLE_MS: '1500' });
    leader = await server.userClient('approver');
    other = await server.userClient('approver');
    editor = await server.userClient('editor');
    units = [await fakeUnit(server, 'cum-dinh'), await fakeUnit(server, 'cum-suoi'), await fakeUnit(server, 'cum-nui')];
    voice = await opusPackets('sine=frequency=440:duration=2');
    // The commune's window is open now; the mountain zone's opens in three hours (rule 1).
    const minute = Math.floor(toZoned(Date.now(), 'Asia/Ho_Chi_Minh').seconds / 60) * 60;
    await server.admin.patch('/api/communes/default', { quietHours: null });
    const opened = await server.admin.put('/api/communes/default/windows', {
      windows: [{ id: 'bay-gio', start: formatClock(minute - 300), end: formatClock(minute + 3600) }],
    });
    expect(opened.status, JSON.stringify(opened.body)).toBe(200);
    const zone = await server.admin.post('/api/zones', {
      id: 'nui',
      name: 'Núi',
      unitIds: ['cum-nui'],
      windows: [{ id: 'sau', start: formatClock(minute + 3 * 3600), end: formatClock(minute + 4 * 3600) }],
    });
    expect(zone.status, JSON.stringify(zone.body)).toBe(201);
    const planOf = server.app.db.prepare('SELECT body FROM plans WHERE unit_id = ?').pluck();
    const openNow = (unit: string) => {
      const body = planOf.get(unit) as string | undefined;
      if (!body) return undefined;
      const now = Date.now();
      return (JSON.parse(body) as { windows: { startAt: number; endAt: number }[] }).windows.some(
        (w) => w.startAt <= now && now < w.endAt,
      );
    };
    await waitFor('plans with the windows', () =>
      openNow('cum-dinh') && openNow('cum-suoi') && openNow('cum-nui') === false ? true : undefined,
    );
  });
  afterAll(async () => {
    for (const u of units ?? []) await u.client.endAsync(true);
    await server?.close();
  });

  const start = (who: TestUser, unitIds: string[]) =>
    who.post<{ id: string; units: { unitId: string; state: string }[]; error?: string; message?: string }>(
      '/api/live',
      { communeId: 'default', targets: { unitIds }, volume: 80 },
    );

  /** The session's socket, as the browser opens it; collects the server's notices. */
  function socket(who: TestUser, id: string, origin?: string) {
    const ws = new WebSocket(`${server.base.replace(/^http/, 'ws')}/api/live/${id}/audio`, {
      headers: { cookie: who.cookie, ...(origin ? { origin } : {}) },
    });
    const notices: Array<Record<string, unknown>> = [];
    ws.on('message', (data, binary) => {
      if (!binary) notices.push(JSON.parse(String(data)) as Record<string, unknown>);
    });
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    const opened = new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
    const packet = (seq: number, opus: Buffer) => {
      const head = Buffer.alloc(4);
      head.writeUInt32BE(seq);
      ws.send(Buffer.concat([head, opus]));
    };
    return { ws, notices, closed, opened, packet };
  }

  it('forwards the leader’s packets to the session’s units as tagged Ogg pages that decode, and stops', async () => {
    const res = await start(leader, ['cum-dinh']);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const id = res.body.id;
    const [dinh, suoi] = units;
    const startCmd = await waitFor('live-start', () => dinh!.commands.find((c) => c.type === 'live-start'));
    expect(startCmd.args).toMatchObject({ sessionId: id, volume: 80, idleMs: 5000 });
    // The key reached the unit in the signed command, but is kept out of the command list people read.
    const listed = await server.admin.get<{ commands: { args: Record<string, unknown> }[] }>(
      '/api/units/cum-dinh/commands',
    );
    expect(JSON.stringify(listed.body)).not.toContain(String(startCmd.args.key));

    const s = socket(leader, id);
    await s.opened;
    await waitFor('units ok', () =>
      s.notices.find((n) => n.type === 'units' && (n.units as { state: string }[])[0]?.state === 'ok'),
    );
    voice.forEach((p, i) => s.packet(i, p));
    const mine = () => dinh!.frames.filter((f) => f.session === id);
    await waitFor('every frame', () => (mine().length === voice.length ? true : undefined));
    // Only the session's units get it: another unit hears nothing of it… though every unit may
    // subscribe to live/#, without the key the frames are worthless (the HMAC).
    const pages = mine().map((f, i) => {
      const opened = openLiveFrame(String(startCmd.args.key), id, f.payload);
      if (!opened.ok) throw new Error(opened.error);
      expect(opened.seq).toBe(i);
      return opened.audio;
    });
    expect(openLiveFrame(String(startCmd.args.key), 'live-other', mine()[0]!.payload)).toMatchObject({ ok: false });
    expect(suoi!.commands.some((c) => c.type === 'live-start')).toBe(false);
    // Header pages (from the command) + the pages: a stream ffmpeg decodes to the 2 s spoken.
    const stream = Buffer.concat([Buffer.from(String(startCmd.args.head), 'base64'), ...pages]);
    const probe = execFile(
      'ffmpeg',
      ['-loglevel', 'error', '-f', 'ogg', '-i', 'pipe:0', '-f', 's16le', '-ac', '1', '-ar', '48000', 'pipe:1'],
      {
        encoding: 'buffer',
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const decoded = new Promise<Buffer>((resolve, reject) => {
      const out: Buffer[] = [];
      probe.stdout!.on('data', (d: Buffer) => out.push(d));
      probe.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`ffmpeg ${code}`))));
    });
    probe.stdin!.end(stream);
    const seconds = (await decoded).length / 2 / 48_000;
    expect(seconds).toBeGreaterThan(1.9);
    expect(seconds).toBeLessThan(2.1);

    const stopped = await leader.post<{ endedAt: number | null; frames: { received: number } }>(
      `/api/live/${id}/stop`,
      {},
    );
    expect(stopped.status).toBe(200);
    expect(stopped.body.endedAt).not.toBeNull();
    expect(stopped.body.frames.received).toBe(voice.length);
    await waitFor('live-stop', () => dinh!.commands.find((c) => c.type === 'live-stop' && c.args.sessionId === id));
    expect(await s.closed).toBe(1000);
    expect(s.notices.at(-1)).toMatchObject({ type: 'ended', reason: expect.stringContaining('stopped by') });
    const audit = await server.admin.get<{ entries: { action: string; subject: string }[] }>(`/api/audit?limit=50`);
    const actions = audit.body.entries.filter((e) => e.subject === id).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['live.start', 'live.stop']));
  });

  it('refuses a person without the live permission, and someone else’s session', async () => {
    const refused = await start(editor, ['cum-dinh']);
    expect(refused.status).toBe(403);
    const res = await start(leader, ['cum-dinh']);
    expect(res.status).toBe(201);
    await expect(socket(editor, res.body.id).opened).rejects.toThrow('HTTP 403');
    await expect(socket(leader, res.body.id, 'https://evil.example').opened).rejects.toThrow('HTTP 403');
    const theirs = socket(other, res.body.id);
    await theirs.opened;
    expect(await theirs.closed).toBe(4403);
    expect(theirs.notices[0]).toMatchObject({ type: 'ended', reason: expect.stringContaining('Only the person') });
    expect((await other.post(`/api/live/${res.body.id}/stop`, {})).status).toBe(200);
  });

  it('keeps rule 1: outside the windows only an emergency live, which needs the emergency permission', async () => {
    const normal = await start(leader, ['cum-nui']);
    expect(normal.status).toBe(409);
    expect(normal.body).toMatchObject({ error: 'outside-window' });
    expect(normal.body.message).toContain('cum-nui');
    // A machine allowed to go live but not to sound an emergency.
    const made = await server.admin.post<{ token: string }>('/api/tokens', {
      name: 'đài tỉnh',
      permissions: ['live', 'bulletins:read'],
    });
    const machine = ApiClient.withToken(server.base, made.body.token);
    const body = { communeId: 'default', targets: { unitIds: ['cum-nui'] }, volume: 90, level: 'emergency' };
    const refused = await machine.post<{ error: string }>('/api/live', body);
    expect(refused.status).toBe(403);
    const em = await leader.post<{ id: string; level: string }>('/api/live', body);
    expect(em.status, JSON.stringify(em.body)).toBe(201);
    expect(em.body.level).toBe('emergency');
    const nui = units[2]!;
    const cmd = await waitFor('live-start', () => nui.commands.find((c) => c.args.sessionId === em.body.id));
    expect(cmd.args.level).toBe('emergency');
    await leader.post(`/api/live/${em.body.id}/stop`, {});
  });

  it('lets an emergency live take a unit from a normal session, which keeps its others', async () => {
    const normal = await start(other, ['cum-dinh', 'cum-suoi']);
    expect(normal.status).toBe(201);
    const s = socket(other, normal.body.id);
    await s.opened;
    const em = await leader.post<{ id: string }>('/api/live', {
      communeId: 'default',
      targets: { unitIds: ['cum-dinh'] },
      volume: 100,
      level: 'emergency',
    });
    expect(em.status, JSON.stringify(em.body)).toBe(201);
    const left = await other.get<{ units: { unitId: string }[]; endedAt: number | null }>(
      `/api/live/${normal.body.id}`,
    );
    expect(left.body.units.map((u) => u.unitId)).toEqual(['cum-suoi']);
    expect(left.body.endedAt).toBeNull();
    await waitFor('told', () => s.notices.find((n) => n.type === 'units' && (n.units as unknown[]).length === 1));
    // While the emergency holds it, nobody goes live on it normally.
    expect((await start(other, ['cum-dinh'])).body).toMatchObject({ error: 'live-busy' });
    await leader.post(`/api/live/${em.body.id}/stop`, {});
    await other.post(`/api/live/${normal.body.id}/stop`, {});
  });

  it('gives units up to an emergency broadcast: the page is told, the units freed, an emptied session ends', async () => {
    // The warning is spoken before the session opens: synthesis under load can outlast the
    // session's 1.5 s idle time, which would end it before the emergency comes.
    const warning = await server.admin.post<{ sha256: string }>('/api/media/tts', {
      text: 'Thông báo khẩn: nước lên nhanh.',
    });
    expect(warning.status, JSON.stringify(warning.body)).toBe(201);
    const normal = await start(other, ['cum-dinh', 'cum-suoi']);
    expect(normal.status).toBe(201);
    const id = normal.body.id;
    const s = socket(other, id);
    await s.opened;
    // The leader keeps speaking, so the session's idle time never ends it during the test.
    let seq = 0;
    const speaking = setInterval(() => {
      if (s.ws.readyState === s.ws.OPEN) s.packet(seq++, voice[seq % voice.length]!);
    }, 200);
    onTestFinished(() => clearInterval(speaking));
    // Frames given to the service directly take their numbers from the same count.
    const seqHeader = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(n);
      return b;
    };
    const emergency = (unitIds: string[], content: Record<string, string>) =>
      leader.post<{ id: string; sha256: string }>('/api/emergency', {
        communeId: 'default',
        content,
        targets: { unitIds },
        repeat: 1,
        volume: 100,
        validSeconds: 60,
      });
    const first = await emergency(['cum-dinh'], { sha256: warning.body.sha256 });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const told = await waitFor('told', () =>
      s.notices.find((n) => n.type === 'units' && (n.units as unknown[]).length === 1),
    );
    expect(told.reason).toContain(first.body.id);
    const left = await other.get<{ units: { unitId: string }[]; endedAt: number | null }>(`/api/live/${id}`);
    expect(left.body.units.map((u) => u.unitId)).toEqual(['cum-suoi']);
    expect(left.body.endedAt).toBeNull();
    // The unit is let go: a live-stop reaches it, and it no longer counts as held by the session.
    await waitFor('live-stop at cum-dinh', () =>
      units[0]!.commands.find((c) => c.type === 'live-stop' && c.args.sessionId === id),
    );
    expect(units[1]!.commands.some((c) => c.type === 'live-stop' && c.args.sessionId === id)).toBe(false);
    const mine = await start(leader, ['cum-dinh']);
    expect(mine.status, JSON.stringify(mine.body)).toBe(201);
    await leader.post(`/api/live/${mine.body.id}/stop`, {});
    // An emergency on a unit no session holds leaves the session alone.
    const elsewhere = await emergency(['cum-nui'], { sha256: first.body.sha256 });
    expect(elsewhere.status).toBe(201);
    expect(server.app.services.live.frame(id, Buffer.concat([seqHeader(seq++), voice[0]!]))).toBeUndefined();
    // The last unit taken: the session ends, the page hears why, frames go nowhere any more.
    const second = await emergency(['cum-suoi'], { sha256: first.body.sha256 });
    expect(second.status).toBe(201);
    expect(await s.closed).toBe(1000);
    expect(s.notices.at(-1)).toMatchObject({ type: 'ended', reason: expect.stringContaining(second.body.id) });
    expect(server.app.services.live.frame(id, Buffer.concat([seqHeader(seq++), voice[1]!]))).toBe(
      'the session has ended',
    );
    const audit = await server.admin.get<{ entries: { action: string; subject: string; detail: unknown }[] }>(
      `/api/audit?limit=50`,
    );
    const entries = audit.body.entries.filter((e) => e.subject === id);
    expect(entries.find((e) => e.action === 'live.units-taken')?.detail).toMatchObject({
      emergency: first.body.id,
      units: ['cum-dinh'],
    });
    expect(entries.find((e) => e.action === 'live.end')?.detail).toMatchObject({
      reason: expect.stringContaining(second.body.id),
    });
  });

  it('allows one session per unit: a second on the same unit is refused, naming who holds it', async () => {
    const first = await start(leader, ['cum-dinh']);
    expect(first.status).toBe(201);
    const second = await start(other, ['cum-suoi', 'cum-dinh']);
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ error: 'live-busy' });
    expect(second.body.message).toContain('cum-dinh');
    expect(second.body.message).toContain(leader.username);
    const elsewhere = await start(other, ['cum-suoi']);
    expect(elsewhere.status).toBe(201);
    await leader.post(`/api/live/${first.body.id}/stop`, {});
    await other.post(`/api/live/${elsewhere.body.id}/stop`, {});
    // Free again once stopped.
    const again = await start(other, ['cum-dinh']);
    expect(again.status).toBe(201);
    await other.post(`/api/live/${again.body.id}/stop`, {});
  });

  it('drops oversized and garbage messages with a notice, and the session goes on', async () => {
    const res = await start(leader, ['cum-suoi']);
    const id = res.body.id;
    const suoi = units[1]!;
    const s = socket(leader, id);
    await s.opened;
    const count = () => suoi.frames.filter((f) => f.session === id).length;
    s.packet(0, voice[0]!);
    s.packet(1, Buffer.alloc(10_000, 1)); // oversized
    s.packet(2, Buffer.from([0x07])); // code 3 without its frame count
    s.packet(3, Buffer.from([0x04, 1, 2, 3])); // stereo
    s.packet(0, voice[1]!); // a sequence number already used
    s.ws.send('hello'); // text
    s.ws.send(Buffer.from([0, 0])); // too short
    s.packet(4, voice[2]!);
    await waitFor('two frames', () => (count() === 2 ? true : undefined));
    const dropped = await waitFor('a drop notice', () => s.notices.find((n) => n.type === 'dropped'));
    expect(dropped.reason).toMatch(/too large/);
    const view = await leader.get<{ frames: { received: number; dropped: number }; endedAt: null }>(`/api/live/${id}`);
    expect(view.body).toMatchObject({ endedAt: null, frames: { received: 2, dropped: 5 } });
    expect(s.ws.readyState).toBe(WebSocket.OPEN);
    await leader.post(`/api/live/${id}/stop`, {});
    expect(await s.closed).toBe(1000);
  });

  it('sends nothing after the end: a socket to an ended session is closed, and its frames go nowhere', async () => {
    const res = await start(leader, ['cum-suoi']);
    const id = res.body.id;
    await leader.post(`/api/live/${id}/stop`, {});
    const late = socket(leader, id);
    await late.opened;
    expect(await late.closed).toBe(4410);
    expect(late.notices[0]).toMatchObject({ type: 'ended', reason: expect.stringContaining('has ended') });
    expect(server.app.services.live.frame(id, Buffer.concat([Buffer.alloc(4), voice[0]!]))).toBe(
      'the session has ended',
    );
    expect(units[1]!.frames.filter((f) => f.session === id)).toHaveLength(0);
  });

  it('ends when the page closes, and when no audio comes for the idle time (audited)', async () => {
    const closing = await start(leader, ['cum-dinh']);
    const s = socket(leader, closing.body.id);
    await s.opened;
    s.ws.close(1000);
    await waitFor('ended', async () =>
      (await leader.get<{ endedAt: number | null }>(`/api/live/${closing.body.id}`)).body.endedAt ? true : undefined,
    );

    const silent = await start(leader, ['cum-dinh']);
    const quiet = socket(leader, silent.body.id);
    await quiet.opened;
    expect(await quiet.closed).toBe(1000);
    expect(quiet.notices.at(-1)).toMatchObject({ type: 'ended', reason: 'no audio for 2 s' });
    const audit = await server.admin.get<{ entries: { action: string; subject: string; via: string }[] }>(
      `/api/audit?limit=50`,
    );
    expect(audit.body.entries.find((e) => e.subject === silent.body.id && e.action === 'live.end')).toBeDefined();
    const stops = units[0]!.commands.filter((c) => c.type === 'live-stop' && c.args.sessionId === silent.body.id);
    expect(stops).toHaveLength(1);
    expect((await server.admin.get<{ sessions: unknown[] }>('/api/live')).body.sessions).toHaveLength(0);
  });
});
