// DESIGN §1's incidents, re-enacted with a real server and a real agent process: a relay typed for
// 03:15 never sounds, and a bulletin past its validity never plays on a unit that was offline.
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type PlanBody } from '@loa/shared';
import type {} from '../server/src/broker/broker.plugin.js';
import type {} from '../server/src/services.plugin.js';
import { makeTone } from './support/audio.js';
import { startAgent, type AgentProcess } from './support/agent.js';
import { startServer, type TestServer } from './support/server.js';
import { waitFor } from './support/wait.js';

type LogEntry = { itemId: string; outcome: string; reason: string | null };

describe('the quiet-hours guard, twice', () => {
  let server: TestServer;
  let agent: AgentProcess | undefined;
  let unit: { id: string; secret: string; key: string };
  let tone: { sha256: string; bytes: number; durationMs: number };
  let version = 1000;

  const wavs = (a: AgentProcess) =>
    existsSync(a.sinkDir) ? readdirSync(a.sinkDir).filter((f) => f.endsWith('.wav')) : [];
  const playLog = async () =>
    (await server.admin.get<{ entries: LogEntry[] }>(`/api/units/${unit.id}/play-log`)).body.entries;

  /** A plan as the server signs it, bypassing the planner: what a bug or a bad entry could send. */
  async function publishPlan(items: PlanBody['items'], windows: PlanBody['windows']) {
    const now = Date.now();
    const body: PlanBody = {
      unit: unit.id,
      version: ++version,
      issuedAt: now,
      expiresAt: now + 3600_000,
      windows,
      items,
      warmupMs: 0,
    };
    await server.app.bus.publish(topics.plan(unit.id), JSON.stringify(server.app.signer.sign(body)), {
      qos: 1,
      retain: true,
    });
  }

  beforeAll(async () => {
    server = await startServer();
    const created = await server.admin.post<{ unit: { id: string }; secret: string; serverPublicKey: string }>(
      '/api/units',
      {
        id: 'ban-lung-1',
        name: 'Cụm loa Bản Lùng',
      },
    );
    unit = { id: created.body.unit.id, secret: created.body.secret, key: created.body.serverPublicKey };
    const up = await server.admin.upload<{ sha256: string; bytes: number; durationMs: number }>(
      makeTone(mkdtempSync(join(tmpdir(), 'loa-qh-')), 2),
    );
    tone = up.body;
  });
  afterAll(async () => {
    await agent?.kill('SIGKILL');
    await server?.close();
  });

  it('the API refuses a relay typed for 03:15, and a window inside the quiet hours', async () => {
    const res = await server.admin.post<{ error: string; message: string }>('/api/bulletins', {
      title: 'Tiếp sóng VOV1',
      level: 'ordinary',
      mediaSha256: tone.sha256,
      targets: { unitIds: [unit.id] },
      recurrence: { days: [0, 1, 2, 3, 4, 5, 6], pinnedTimes: ['03:15'] },
      validFrom: new Date().toISOString(),
      validUntil: new Date(Date.now() + 86400_000).toISOString(),
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/05:00–07:30, 17:00–19:00/);
    const win = await server.admin.put<{ error: string }>('/api/communes/default/windows', {
      windows: [{ id: 'relay', start: '03:00', end: '04:00' }],
    });
    expect(win.status).toBe(400);
    expect(win.body.error).toBe('window-in-quiet-hours');
  });

  it('the agent refuses on its own an item outside the windows of its plan, and it never sounds', async () => {
    agent = startAgent({ mqttUrl: server.mqttUrl, unit: unit.id, secret: unit.secret, serverKeyPem: unit.key });
    await waitFor('the unit online', async () =>
      (await server.admin.get<{ online: boolean }>(`/api/units/${unit.id}`)).body.online ? true : undefined,
    );
    const now = Date.now();
    const media = { sha256: tone.sha256, bytes: tone.bytes, durationMs: tone.durationMs };
    // The item is due in 4 s; the plan's only window is hours away (as 03:15 is from 05:00).
    await publishPlan(
      [
        {
          id: 'relay@0315',
          bulletinId: 'relay',
          level: 'ordinary',
          media,
          startAt: now + 4000,
          validUntil: now + 3600_000,
          volume: 80,
        },
      ],
      [{ startAt: now + 3 * 3600_000, endAt: now + 4 * 3600_000 }],
    );
    const refused = await waitFor(
      'a refused event in the play log',
      async () => (await playLog()).find((e) => e.itemId === 'relay@0315' && e.outcome === 'refused'),
      15_000,
    );
    expect(refused.reason).toMatch(/outside every window/);
    expect(wavs(agent)).toEqual([]);
  });

  it('a unit offline since before a bulletin expired never plays it when it comes back', async () => {
    const now = Date.now();
    const media = { sha256: tone.sha256, bytes: tone.bytes, durationMs: tone.durationMs };
    await publishPlan(
      [
        {
          id: 'notice@expiring',
          bulletinId: 'notice',
          level: 'ordinary',
          media,
          startAt: now + 5000,
          validUntil: now + 5000 + tone.durationMs + 500,
          volume: 80,
        },
      ],
      [{ startAt: now - 60_000, endAt: now + 3600_000 }],
    );
    // The unit holds the plan and its media, then loses power before the item's instant.
    await waitFor(
      'the plan and media on the unit',
      () => (readdirSync(join(agent!.dataDir, 'cache')).includes(tone.sha256) ? true : undefined),
      10_000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    await agent!.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 5000 + tone.durationMs + 1500 - (Date.now() - now)));
    agent = startAgent({
      mqttUrl: server.mqttUrl,
      unit: unit.id,
      secret: unit.secret,
      serverKeyPem: unit.key,
      dataDir: agent!.dataDir,
    });
    const skipped = await waitFor(
      'a skipped event in the play log',
      async () => (await playLog()).find((e) => e.itemId === 'notice@expiring'),
      15_000,
    );
    expect(skipped.outcome).toBe('skipped');
    expect(skipped.reason).toMatch(/valid until/);
    expect(wavs(agent)).toEqual([]);
  });
});
