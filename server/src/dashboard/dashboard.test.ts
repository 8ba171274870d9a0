// The dashboard's live feed: the fan-out rules with in-memory clients, then GET /api/ws on the
// real app with a real WebSocket client and a real MQTT client speaking as a unit.
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Hub } from '../hub.js';
import { startServer, type TestServer } from '../testing/start-server.js';
import { TELEMETRY_SLICE, liveFanout, type ClientScope, type LiveClient } from './live-fanout.js';

function memoryClient(scope: Partial<ClientScope> = {}) {
  const sent: Array<Record<string, unknown>> = [];
  const client: LiveClient & { sent: typeof sent; backlog: number; closed: number | null } = {
    scope: { userId: 1, communeIds: null, can: () => true, ...scope },
    sent,
    backlog: 0,
    closed: null,
    bufferedAmount: () => client.backlog,
    send: (text) => sent.push(JSON.parse(text) as Record<string, unknown>),
    close: (code) => (client.closed = code),
  };
  return client;
}

const sample = (volume: number) => ({ at: Date.now(), uptimeS: 1, volume });

describe('the live fan-out', () => {
  const communes: Record<string, string> = { 'cum-a': 'xa-a', 'cum-b': 'xa-b' };
  const setup = () => {
    const hub = new Hub((err) => {
      throw err;
    });
    const fanout = liveFanout(hub, { communeOf: (id) => communes[id], telemetryEveryMs: 60_000 });
    return { hub, fanout };
  };

  it('sends each person only the units of their communes', () => {
    const { hub, fanout } = setup();
    const all = memoryClient();
    const onlyA = memoryClient({ communeIds: ['xa-a'] });
    fanout.add(all);
    fanout.add(onlyA);
    hub.emit('unit-status', { unitId: 'cum-a', online: false, at: 1 });
    hub.emit('unit-status', { unitId: 'cum-b', online: false, at: 2 });
    hub.emit('unit-status', { unitId: 'no-such-unit', online: true, at: 3 });
    expect(all.sent.map((m) => m.unitId)).toEqual(['cum-a', 'cum-b', 'no-such-unit']);
    expect(onlyA.sent).toEqual([{ type: 'unit-status', unitId: 'cum-a', online: false, at: 1 }]);
    fanout.stop();
  });

  it('sends an event only to those whose role may read it', () => {
    const { hub, fanout } = setup();
    const noAlerts = memoryClient({ can: (p) => p !== 'alerts:read' });
    fanout.add(noAlerts);
    hub.emit('alert', { unitId: 'cum-a', kind: 'offline', state: 'raised', at: 1 });
    hub.emit('command-ack', { unitId: 'cum-a', commandId: 'c1', ok: true, at: 2 });
    expect(noAlerts.sent.map((m) => m.type)).toEqual(['command-ack']);
    fanout.stop();
  });

  it("sends an ingest job's progress only to the person who started it, when the job names them", () => {
    const { hub, fanout } = setup();
    const mine = memoryClient({ userId: 7 });
    const other = memoryClient({ userId: 8 });
    fanout.add(mine);
    fanout.add(other);
    hub.emit('ingest-progress', { jobId: 'j1', state: 'running', percent: 40, at: 1, userId: 7 });
    expect(mine.sent).toHaveLength(1);
    expect(other.sent).toHaveLength(0);
    fanout.stop();
  });

  it('coalesces telemetry: one message per unit per interval, the latest sample', () => {
    const { hub, fanout } = setup();
    const c = memoryClient();
    fanout.add(c);
    for (let v = 0; v <= 50; v++) hub.emit('unit-telemetry', { unitId: 'cum-a', sample: sample(v), at: v });
    hub.emit('unit-telemetry', { unitId: 'cum-b', sample: sample(9), at: 99 });
    expect(c.sent).toEqual([]);
    fanout.flushTelemetry();
    expect(c.sent.map((m) => [m.unitId, (m.sample as { volume: number }).volume])).toEqual([
      ['cum-a', 50],
      ['cum-b', 9],
    ]);
    fanout.flushTelemetry();
    expect(c.sent).toHaveLength(2);
    fanout.stop();
  });

  it("sends a province's telemetry in slices, the event loop free between them", () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'setImmediate'] });
    try {
      const hub = new Hub((err) => {
        throw err;
      });
      const fanout = liveFanout(hub, { communeOf: () => 'xa-a', telemetryEveryMs: 2000 });
      const c = memoryClient();
      fanout.add(c);
      const units = TELEMETRY_SLICE * 2 + 10;
      for (let i = 0; i < units; i++) hub.emit('unit-telemetry', { unitId: `cum-${i}`, sample: sample(i), at: i });
      vi.advanceTimersToNextTimer(); // the interval: the first slice only
      expect(c.sent).toHaveLength(TELEMETRY_SLICE);
      vi.advanceTimersToNextTimer(); // the next turn of the loop
      expect(c.sent).toHaveLength(TELEMETRY_SLICE * 2);
      vi.advanceTimersToNextTimer();
      expect(c.sent.map((m) => m.unitId)).toEqual(Array.from({ length: units }, (_, i) => `cum-${i}`));
      fanout.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('lets a slow client skip telemetry, and closes one too far behind to catch up', () => {
    const { hub, fanout } = setup();
    const slow = memoryClient();
    fanout.add(slow);
    slow.backlog = 600 * 1024;
    hub.emit('unit-telemetry', { unitId: 'cum-a', sample: sample(1), at: 1 });
    fanout.flushTelemetry();
    hub.emit('unit-status', { unitId: 'cum-a', online: true, at: 2 });
    expect(slow.sent.map((m) => m.type)).toEqual(['unit-status']);
    slow.backlog = 5 * 1024 * 1024;
    hub.emit('unit-status', { unitId: 'cum-a', online: false, at: 3 });
    expect(slow.closed).toBe(4409);
    expect(fanout.size).toBe(0);
    fanout.stop();
  });
});

describe('GET /api/ws', () => {
  let server: TestServer;
  let cookie: string;
  let unit: { id: string; secret: string };
  const wsUrl = () => server.base.replace(/^http/, 'ws') + '/api/ws';

  beforeAll(async () => {
    server = await startServer();
    const login = await fetch(server.base + '/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: server.app.firstAdmin!.username, password: server.app.firstAdmin!.password }),
    });
    cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const created = await server.admin.post<{ secret: string }>('/api/units', { id: 'cum-song', name: 'Cụm Sông' });
    unit = { id: 'cum-song', secret: created.body.secret };
  });
  afterAll(async () => server?.close());

  /** Opens a socket and collects its messages; rejects with the HTTP status when refused. */
  function open(headers: Record<string, string>) {
    const ws = new WebSocket(wsUrl(), { headers });
    const messages: Array<Record<string, unknown>> = [];
    ws.on('message', (data) => messages.push(JSON.parse(String(data)) as Record<string, unknown>));
    const ready = new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (req, res) => {
        req.destroy(); // a refused upgrade leaves the socket to whoever listens for this
        reject(new Error(`HTTP ${res.statusCode}`));
      });
      ws.once('error', reject);
    });
    return { ws, messages, ready };
  }
  const until = async (what: string, check: () => boolean, ms = 5000) => {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const connections = () =>
    new Promise<number>((r, j) => server.app.server.getConnections((e, n) => (e ? j(e) : r(n))));

  it('refuses a socket without a session, and leaves no socket behind', async () => {
    const before = await connections();
    await expect(open({}).ready).rejects.toThrow('HTTP 401');
    await expect(open({ cookie: 'loa_session=forged' }).ready).rejects.toThrow('HTTP 401');
    // A browser retrying with an expired session must not leak a half-open socket per try.
    await new Promise((r) => setTimeout(r, 300));
    expect(await connections()).toBeLessThanOrEqual(before);
  });

  it('refuses a socket opened from another site, even with a session', async () => {
    await expect(open({ cookie, origin: 'https://evil.example' }).ready).rejects.toThrow('HTTP 403');
  });

  it("pushes a unit's status as it comes and goes on the broker", async () => {
    const host = new URL(server.base).host;
    const live = open({ cookie, origin: `http://${host}` });
    await live.ready;
    await until('hello', () => live.messages.some((m) => m.type === 'hello'));

    const agent = await mqtt.connectAsync(server.mqttUrl, {
      clientId: `loa-unit-${unit.id}`,
      username: unit.id,
      password: unit.secret,
      reconnectPeriod: 0,
      will: { topic: `loa/v1/units/${unit.id}/status`, payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
    });
    await agent.publishAsync(`loa/v1/units/${unit.id}/status`, JSON.stringify({ online: true, agentVersion: 't' }), {
      qos: 1,
      retain: true,
    });
    const status = () => live.messages.filter((m) => m.type === 'unit-status' && m.unitId === unit.id);
    await until('online', () => status().some((m) => m.online === true));

    // A lost link, not a clean goodbye: the broker publishes the will.
    agent.stream.destroy();
    await until('offline', () => status().some((m) => m.online === false));
    agent.end(true);
    live.ws.close();
  });

  it('delivers a burst sent in one turn complete and in order, and what follows it', async () => {
    const live = open({ cookie });
    await live.ready;
    await until('hello', () => live.messages.some((m) => m.type === 'hello'));
    for (let i = 0; i < 500; i++) server.app.hub.emit('unit-status', { unitId: unit.id, online: i % 2 === 0, at: i });
    await until('the burst', () => live.messages.filter((m) => m.type === 'unit-status').length === 500);
    expect(live.messages.filter((m) => m.type === 'unit-status').map((m) => m.at)).toEqual(
      Array.from({ length: 500 }, (_, i) => i),
    );
    server.app.hub.emit('alert', { unitId: null, kind: 'broker', state: 'raised', at: 1 });
    await until('a message in a later turn', () => live.messages.some((m) => m.type === 'alert'));
    live.ws.close();
  });

  it('closes the socket (4401) once its session has ended', async () => {
    const person = await server.userClient('viewer');
    // Only the socket's own 30 s recheck runs on a fake clock; everything else stays real.
    vi.useFakeTimers({ toFake: ['setInterval'] });
    try {
      const live = open({ cookie: person.cookie });
      await live.ready;
      await until('hello', () => live.messages.some((m) => m.type === 'hello'));
      const closed = new Promise<number>((r) => live.ws.once('close', (code) => r(code)));
      expect((await person.post('/api/auth/logout')).status).toBe(204);
      vi.advanceTimersByTime(30_000);
      expect(await closed).toBe(4401);
    } finally {
      vi.useRealTimers();
    }
  });

  it("sends a person scoped to another commune nothing about this commune's units", async () => {
    expect((await server.admin.post('/api/communes', { id: 'xa-khac', name: 'Xã khác' })).status).toBe(201);
    const other = await server.userClient('viewer', { communeIds: ['xa-khac'] });
    const mine = open({ cookie });
    const theirs = open({ cookie: other.cookie });
    await Promise.all([mine.ready, theirs.ready]);
    await until('hello', () => [mine, theirs].every((c) => c.messages.some((m) => m.type === 'hello')));
    server.app.hub.emit('unit-status', { unitId: unit.id, online: true, at: Date.now() });
    await until('the event for the province admin', () => mine.messages.some((m) => m.type === 'unit-status'));
    // Sent after, so once it arrives anything about cum-song would have arrived before it.
    server.app.hub.emit('alert', { unitId: null, kind: 'broker', state: 'raised', at: Date.now() });
    await until('a server-wide alert for both', () => theirs.messages.some((m) => m.type === 'alert'));
    expect(theirs.messages.filter((m) => m.unitId === unit.id)).toEqual([]);
    mine.ws.close();
    theirs.ws.close();
  });
});
