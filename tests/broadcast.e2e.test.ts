// Issue #2's proof: one real broadcast from upload to loudspeaker. Real server (HTTP + broker +
// SQLite), a real agent process with a file sink, real ffmpeg on real audio — run twice: with the
// embedded broker, and with a real Mosquitto configured by `npm run broker:export` (issue #4). The
// editor writes and submits the bulletins, the approver approves them (issue #4's four eyes).
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatClock, toZoned, weekdayOf, type PlanBody } from '@loa/shared';
import { durationMs, makeTone, makeVietnameseSpeech } from './support/audio.js';
import { startAgent, type AgentProcess } from './support/agent.js';
import { startServer, type TestServer, type TestUser } from './support/server.js';
import { startServerWithMosquitto } from './support/mosquitto.js';
import { waitFor } from './support/wait.js';
import type {} from '../server/src/broker/broker.plugin.js';

const TZ = 'Asia/Ho_Chi_Minh';

interface SinkEntry {
  itemId: string;
  sha256: string;
  file: string;
  startedAt: number;
  endedAt: number;
}

function readSink(dir: string): SinkEntry[] {
  const file = join(dir, 'sink.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SinkEntry);
}

const BROKERS = [
  {
    broker: 'the embedded broker',
    start: async () => {
      const server = await startServer();
      return { server, stop: () => server.close() };
    },
  },
  { broker: 'a real Mosquitto', start: startServerWithMosquitto },
];

describe.each(BROKERS)('a first bulletin reaches a loudspeaker, through $broker', ({ start }) => {
  let server: TestServer;
  let stop: () => Promise<void>;
  let editor: TestUser;
  let approver: TestUser;
  let agent: AgentProcess;
  const work = mkdtempSync(join(tmpdir(), 'loa-e2e-'));
  let unit: { id: string; secret: string; key: string };

  beforeAll(async () => {
    ({ server, stop } = await start());
    editor = await server.userClient('editor');
    approver = await server.userClient('approver');
    const created = await server.admin.post<{ unit: { id: string }; secret: string; serverPublicKey: string }>(
      '/api/units',
      {
        id: 'thon-ban-chao',
        name: 'Thôn Bản Chao',
      },
    );
    expect(created.status).toBe(201);
    unit = { id: created.body.unit.id, secret: created.body.secret, key: created.body.serverPublicKey };
  });

  afterAll(async () => {
    await agent?.kill('SIGKILL');
    await stop?.();
  });

  it('plays an uploaded tone and a Vietnamese sentence at their instants, and logs both', async () => {
    const { admin } = server;
    const tone = await editor.upload<{ sha256: string; durationMs: number }>(makeTone(work, 5));
    const speech = await editor.upload<{ sha256: string; durationMs: number }>(
      makeVietnameseSpeech(work, 'Kính thưa bà con thôn Bản Chao, sáng mai xã tổ chức tiêm phòng cho gia súc.'),
    );
    expect(tone.status).toBe(201);
    expect(speech.status).toBe(201);
    expect(Math.abs(tone.body.durationMs - 5000)).toBeLessThan(100);

    agent = startAgent({ mqttUrl: server.mqttUrl, unit: unit.id, secret: unit.secret, serverKeyPem: unit.key });
    await waitFor('the unit online', async () =>
      (await admin.get<{ online: boolean }>(`/api/units/${unit.id}`)).body.online ? true : undefined,
    );

    // A window around now, whatever the hour this test runs at.
    const now = Date.now();
    const local = toZoned(now, TZ);
    const windows = [
      { id: 'test', start: formatClock(local.seconds - 120), end: formatClock(local.seconds + 15 * 60) },
    ];
    // Quiet hours would (rightly) refuse a window at night; this test may run at any hour.
    expect((await admin.request('PATCH', `/api/communes/default`, { quietHours: null })).status).toBe(200);
    expect((await admin.put(`/api/communes/default/windows`, { windows })).status).toBe(200);

    const first = Math.ceil(local.seconds) + 10;
    const second = first + Math.ceil(tone.body.durationMs / 1000) + 2;
    const common = {
      level: 'ordinary',
      targets: { unitIds: [unit.id] },
      validFrom: new Date(now - 60_000).toISOString(),
      validUntil: new Date(now + 3600_000).toISOString(),
    };
    for (const [title, media, at] of [
      ['Tone', tone.body.sha256, first],
      ['Thông báo tiêm phòng', speech.body.sha256, second],
    ] as const) {
      const days = [weekdayOf(local.date)];
      const b = await editor.post<{ id: string }>('/api/bulletins', {
        ...common,
        title,
        mediaSha256: media,
        recurrence: { days, pinnedTimes: [formatClock(at)] },
      });
      expect(b.status, JSON.stringify(b.body)).toBe(201);
      expect((await editor.post(`/api/bulletins/${b.body.id}/submit`)).status).toBe(200);
      expect((await approver.post(`/api/bulletins/${b.body.id}/approve`)).status).toBe(200);
    }

    const plan = await waitFor('a plan with both items', async () => {
      const res = await admin.get<PlanBody>(`/api/units/${unit.id}/plan`);
      return res.status === 200 && res.body.items.length === 2 ? res.body : undefined;
    });

    const played = await waitFor(
      'both items in the sink',
      () => {
        const entries = readSink(agent.sinkDir);
        return entries.length >= 2 ? entries : undefined;
      },
      40_000,
      200,
    );

    for (const item of plan.items) {
      const entry = played.find((e) => e.itemId === item.id);
      expect(entry, `sink entry for ${item.id}`).toBeDefined();
      expect(Math.abs(entry!.startedAt - item.startAt), 'start error (ms)').toBeLessThanOrEqual(200);
      const file = entry!.file.startsWith('/') ? entry!.file : join(agent.sinkDir, entry!.file);
      expect(Math.abs(durationMs(file) - item.media.durationMs), 'duration error (ms)').toBeLessThanOrEqual(100);
    }

    const log = await waitFor('both rows finished in the play log', async () => {
      const res = await admin.get<{ entries: Array<{ itemId: string; outcome: string; startedAt: number }> }>(
        `/api/units/${unit.id}/play-log`,
      );
      const done = res.body.entries.filter((e) => e.outcome === 'finished');
      return done.length === 2 ? res.body.entries : undefined;
    });
    expect(log.map((e) => e.itemId).sort()).toEqual(plan.items.map((i) => i.id).sort());
  }, 90_000);

  it('drops a malformed plan message with a logged reason and keeps running', async () => {
    const topic = `loa/v1/units/${unit.id}/plan`;
    await server.app.bus.publish(topic, 'this is not json', { qos: 1 });
    await server.app.bus.publish(topic, JSON.stringify({ body: '{"unit":"x"}', sig: 'AAAA', kid: 'nobody' }), {
      qos: 1,
    });
    await waitFor('the agent to log the dropped plans', () =>
      agent.lines.filter((l) => /dropped plan/.test(l)).length >= 2 ? true : undefined,
    );
    expect(agent.child.exitCode).toBeNull();
    // The retained, signed plan is still the one the unit holds: put it back and check status.
    const res = await server.admin.get<{ online: boolean }>(`/api/units/${unit.id}`);
    expect(res.body.online).toBe(true);
  });

  it('refuses a wrong secret and an anonymous client at the broker', async () => {
    const attempt = (opts: mqtt.IClientOptions) =>
      new Promise<string>((resolve) => {
        const c = mqtt.connect(server.mqttUrl, { ...opts, reconnectPeriod: 0, connectTimeout: 5000 });
        c.once('connect', () => {
          c.end(true);
          resolve('connected');
        });
        c.once('error', (err) => {
          c.end(true);
          resolve(err.message);
        });
      });
    // aedes answers CONNACK 4 (bad user name or password), Mosquitto 5 (not authorized): both refuse.
    expect(await attempt({ clientId: `loa-unit-${unit.id}`, username: unit.id, password: 'wrong-secret' })).toMatch(
      /bad user name or password|Bad username or password|Not authorized/i,
    );
    expect(await attempt({ clientId: 'anonymous-listener' })).toMatch(
      /bad user name or password|Bad username or password|Not authorized/i,
    );

    const impostor = startAgent({
      mqttUrl: server.mqttUrl,
      unit: unit.id,
      secret: 'not-the-secret',
      serverKeyPem: unit.key,
    });
    try {
      await waitFor('the impostor agent to report the refusal', () =>
        impostor.lines.some((l) => /refused/i.test(l)) ? true : undefined,
      );
      // The real agent is still the one connected.
      expect((await server.admin.get<{ online: boolean }>(`/api/units/${unit.id}`)).body.online).toBe(true);
    } finally {
      await impostor.kill('SIGKILL');
    }
  });

  it('shows the unit offline once its agent is killed', async () => {
    await agent.kill('SIGKILL');
    await waitFor(
      'the unit offline',
      async () =>
        (await server.admin.get<{ online: boolean }>(`/api/units/${unit.id}`)).body.online ? undefined : true,
      10_000,
    );
    expect(readdirSync(agent.sinkDir).filter((f) => f.endsWith('.wav'))).toHaveLength(2);
  });
});
