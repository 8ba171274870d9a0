// Issue #8, relay (tiếp sóng) end to end: a relay bulletin approved on the real server, planned into
// a window, pulled by a real agent process from a local HTTP station (MP3 at real-time pace). The
// station dies mid-relay: the agent reports it (`fault`, "relay source …"), stays silent, picks the
// stream up again and ends with the slot. A second relay from an unreachable URL: faults, `failed`,
// not a sound. Bad relay bulletins are refused with a clear error.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatClock, weekdayOf, type PlanBody } from '@loa/shared';
import { startAgent, type AgentProcess } from './support/agent.js';
import { startServer, type TestServer } from './support/server.js';
import { localSeconds } from './support/agent-e2e.js';
import { waitFor } from './support/wait.js';
import { startStreamServer, type StreamServer } from '../agent/src/relay/stream-server.js';

const UNIT = 'thon-tiep-song';

interface SinkRecord {
  itemId: string;
  startedAt: number;
  endedAt: number;
  samples: number;
}

describe('a relay bulletin from the API to a running agent', () => {
  let server: TestServer;
  let agent: AgentProcess | undefined;
  let station: StreamServer;
  const work = mkdtempSync(join(tmpdir(), 'loa-relay-e2e-'));

  const sink = (): SinkRecord[] => {
    const file = join(agent!.sinkDir, 'sink.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as SinkRecord);
  };
  const events = (itemId: string) =>
    server.app.db
      .prepare('SELECT type, reason FROM unit_events WHERE unit_id = ? AND item_id = ? ORDER BY seq')
      .all(UNIT, itemId) as { type: string; reason: string | null }[];

  beforeAll(async () => {
    const mp3 = join(work, 'vov1.mp3');
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:duration=30',
      '-ac',
      '1',
      '-b:a',
      '64k',
      '-y',
      mp3,
    ]);
    station = await startStreamServer(mp3, 64_000);
    server = await startServer();
    const created = await server.admin.post<{ secret: string; serverPublicKey: string }>('/api/units', {
      id: UNIT,
      name: UNIT,
    });
    const dataDir = join(work, 'agent');
    mkdirSync(dataDir);
    agent = startAgent({
      mqttUrl: server.mqttUrl,
      unit: UNIT,
      secret: created.body.secret,
      serverKeyPem: created.body.serverPublicKey,
      dataDir,
      args: ['--warmup-ms', '500'],
    });
    await waitFor(
      'the unit online',
      async () => ((await server.admin.get<{ online: boolean }>(`/api/units/${UNIT}`)).body.online ? true : undefined),
      40_000,
    );
  });
  afterAll(async () => {
    await agent?.kill('SIGKILL');
    await server?.close();
    await station?.close();
  });

  it('refuses a relay bulletin with a bad URL, or with both audio and relay', async () => {
    const editor = await server.userClient('editor');
    const base = {
      title: 'Tiếp sóng',
      level: 'ordinary',
      targets: { commune: true },
      recurrence: { days: [0, 1, 2, 3, 4, 5, 6] },
      validFrom: new Date().toISOString(),
      validUntil: new Date(Date.now() + 3600_000).toISOString(),
    };
    const ftp = await editor.post<{ error: string; field?: string }>('/api/bulletins', {
      ...base,
      relay: { url: 'ftp://vov.vn/vov1', durationMs: 60_000 },
    });
    expect(ftp.status).toBe(400);
    const both = await editor.post<{ error: string; field: string }>('/api/bulletins', {
      ...base,
      mediaSha256: 'ab'.repeat(32),
      relay: { url: station.url, durationMs: 60_000 },
    });
    expect(both.status).toBe(400);
    expect(both.body.error).toBe('media-or-relay');
    const neither = await editor.post<{ error: string }>('/api/bulletins', base);
    expect(neither.status).toBe(400);
    expect(neither.body.error).toBe('media-or-relay');
  });

  it('relays the station through its death mid-relay, and reports an unreachable one without a sound', async () => {
    const editor = await server.userClient('editor');
    const approver = await server.userClient('approver');
    const { seconds: nowS, date } = localSeconds();
    expect((await server.admin.request('PATCH', '/api/communes/default', { quietHours: null })).status).toBe(200);
    const windows = [{ id: 'test', start: formatClock(nowS - 60), end: formatClock(nowS + 540) }];
    expect((await server.admin.put('/api/communes/default/windows', { windows })).status).toBe(200);
    const relayAt = nowS + 15;
    const deadAt = nowS + 35;
    for (const [title, url, atS] of [
      ['VOV1 buổi sáng', station.url, relayAt],
      ['Đài tỉnh', 'http://127.0.0.1:9/dai-tinh.mp3', deadAt],
    ] as const) {
      const durationMs = url === station.url ? 16_000 : 10_000;
      const b = await editor.post<{ id: string; relay: unknown }>('/api/bulletins', {
        title,
        level: 'ordinary',
        relay: { url, durationMs },
        targets: { unitIds: [UNIT] },
        validFrom: new Date(Date.now() - 60_000).toISOString(),
        validUntil: new Date(Date.now() + 3600_000).toISOString(),
        recurrence: { days: [weekdayOf(date)], pinnedTimes: [formatClock(atS)] },
      });
      expect(b.status, JSON.stringify(b.body)).toBe(201);
      expect(b.body.relay).toEqual({ url, durationMs });
      expect((await editor.post(`/api/bulletins/${b.body.id}/submit`)).status).toBe(200);
      expect((await approver.post(`/api/bulletins/${b.body.id}/approve`)).status).toBe(200);
    }
    const plan = await waitFor('a plan with both relays', async () => {
      const res = await server.admin.get<PlanBody>(`/api/units/${UNIT}/plan`);
      return res.status === 200 && res.body.items.length === 2 ? res.body : undefined;
    });
    const [live, dead] = [...plan.items].sort((a, b) => a.startAt - b.startAt);
    expect(live!.relay).toEqual({ url: station.url });
    expect(live!.media.durationMs).toBe(16_000);

    // The station dies 4 s into the relay and is back 6 s later (longer than ffmpeg's own reconnects bridge).
    await waitFor(
      'the relay on air',
      () => (station.connections > 0 && Date.now() > live!.startAt + 4000 ? true : undefined),
      40_000,
    );
    station.down();
    await new Promise((r) => setTimeout(r, 6000));
    station.up();

    await waitFor(
      'the relay finished',
      () => (events(live!.id).some((e) => e.type === 'finished') ? true : undefined),
      30_000,
    );
    const ev = events(live!.id);
    expect(ev[0]!.type).toBe('started');
    expect(ev.at(-1)!.type).toBe('finished');
    const faults = ev.filter((e) => e.type === 'fault');
    expect(faults.length).toBeGreaterThanOrEqual(1);
    for (const f of faults) expect(f.reason).toMatch(/^relay source http:\/\/127\.0\.0\.1:\d+\/vov1\.mp3: /);
    // The technician hears of it: the fault raises the unit's relay alert (issue #9's rules).
    const alerts = await server.admin.get<{ alerts: { kind: string; unitId: string | null; message: string }[] }>(
      `/api/alerts?state=all&unitId=${UNIT}`,
    );
    expect(alerts.body.alerts.find((a) => a.kind === 'relay-failed')?.message).toMatch(/^relay source /);
    const recs = sink().filter((r) => r.itemId === live!.id);
    expect(recs.length).toBeGreaterThanOrEqual(2);
    expect(Math.abs(recs[0]!.startedAt - live!.startAt)).toBeLessThan(300);
    const relayedMs = recs.reduce((s, r) => s + r.samples / 48, 0);
    expect(relayedMs).toBeGreaterThan(5000);
    expect(relayedMs).toBeLessThan(16_000 - 3000);
    expect(recs.at(-1)!.startedAt).toBeGreaterThanOrEqual(live!.startAt + 10_000);
    expect(Math.abs(recs.at(-1)!.endedAt - (live!.startAt + 16_000))).toBeLessThan(700);

    // The unreachable station: faults that say so, the item failed, nothing in the sink.
    await waitFor(
      'the dead relay over',
      () => (events(dead!.id).some((e) => e.type === 'failed') ? true : undefined),
      40_000,
    );
    const deadEv = events(dead!.id);
    expect(deadEv.filter((e) => e.type === 'fault').length).toBeGreaterThanOrEqual(2);
    expect(deadEv.find((e) => e.type === 'fault')!.reason).toMatch(
      /^relay source http:\/\/127\.0\.0\.1:9\/dai-tinh\.mp3: /,
    );
    expect(deadEv.find((e) => e.type === 'failed')!.reason).toMatch(/never answered/);
    expect(deadEv.some((e) => e.type === 'started')).toBe(false);
    expect(sink().filter((r) => r.itemId === dead!.id)).toEqual([]);
  }, 120_000);
});
