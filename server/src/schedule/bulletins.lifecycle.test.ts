// The moves the server makes on its own (bulletins.transitions.ts): approved → on air when a unit
// reports starting one of the bulletin's items, and on air → expired once valid-until has passed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer, type TestUser } from '../testing/start-server.js';
import { waitFor } from '../testing/wait.js';
import { scheduleJobs } from './jobs.js';

describe('bulletin states the server moves', () => {
  let server: TestServer;
  let unit: MqttClient;
  let editor: TestUser;
  let approver: TestUser;
  let sha: string;
  let seq = 0;
  const acks: number[] = [];

  beforeAll(async () => {
    server = await startServer();
    editor = await server.userClient('editor');
    approver = await server.userClient('approver');
    const res = await server.admin.post<{ secret: string }>('/api/units', { id: 'cum-ban-chao', name: 'Bản Chao' });
    unit = await mqtt.connectAsync(server.mqttUrl, {
      clientId: 'loa-unit-cum-ban-chao',
      username: 'cum-ban-chao',
      password: res.body.secret,
      reconnectPeriod: 0,
    });
    unit.on('message', (_t, p) => acks.push((JSON.parse(p.toString()) as { upTo: number }).upTo));
    await unit.subscribeAsync('loa/v1/units/cum-ban-chao/events/ack', { qos: 1 });
    const work = mkdtempSync(join(tmpdir(), 'loa-life-'));
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=duration=2', join(work, 't.mp3')]);
    sha = (await server.admin.upload<{ sha256: string }>(join(work, 't.mp3'))).body.sha256;
  });
  afterAll(async () => {
    await unit?.endAsync();
    await server?.close();
  });

  let minute = 30;
  const create = async (validForMs: number) => {
    // Its own pinned minute: pinned items of approved bulletins may not overlap.
    const at = `05:${String(minute++).padStart(2, '0')}`;
    const b = await editor.post<{ id: string }>('/api/bulletins', {
      title: 'Thông báo',
      level: 'ordinary',
      mediaSha256: sha,
      targets: { unitIds: ['cum-ban-chao'] },
      recurrence: { days: [0, 1, 2, 3, 4, 5, 6], pinnedTimes: [at] },
      validFrom: new Date(Date.now() - 60_000).toISOString(),
      validUntil: new Date(Date.now() + validForMs).toISOString(),
    });
    expect(b.status).toBe(201);
    return { id: b.body.id, validUntil: Date.now() + validForMs };
  };
  const approve = async (id: string) => {
    expect((await editor.post(`/api/bulletins/${id}/submit`)).status).toBe(200);
    expect((await approver.post(`/api/bulletins/${id}/approve`)).status).toBe(200);
  };
  const state = async (id: string) => (await server.admin.get<{ state: string }>(`/api/bulletins/${id}`)).body.state;
  /** The unit reports it started an item of these bulletins; resolves once the server stored it. */
  const started = async (...bulletinIds: string[]) => {
    const events = bulletinIds.map((bulletinId) => ({
      seq: ++seq,
      at: Date.now(),
      type: 'started',
      itemId: `${bulletinId}@2026-01-01#1`,
      bulletinId,
      scheduledAt: Date.now(),
    }));
    await unit.publishAsync('loa/v1/units/cum-ban-chao/events', JSON.stringify({ events }), { qos: 1 });
    await waitFor('the ack', () => acks.find((a) => a >= seq), 5000, 20);
  };

  it('puts an approved bulletin on air when a unit starts one of its items, and no other', async () => {
    const aired = await create(86400_000);
    await approve(aired.id);
    const draft = await create(86400_000);
    const submitted = await create(86400_000);
    expect((await editor.post(`/api/bulletins/${submitted.id}/submit`)).status).toBe(200);
    await started(aired.id, draft.id, submitted.id, 'b-unknown');
    expect(await state(aired.id)).toBe('on_air');
    expect(await state(draft.id)).toBe('draft');
    expect(await state(submitted.id)).toBe('submitted');
    // A later start changes nothing, and an on-air bulletin may still be withdrawn.
    await started(aired.id);
    expect(await state(aired.id)).toBe('on_air');
    expect((await editor.post<{ state: string }>(`/api/bulletins/${aired.id}/withdraw`)).body.state).toBe('withdrawn');
    await started(aired.id);
    expect(await state(aired.id)).toBe('withdrawn');
    // The draft a unit claimed to start is approved later: its next start puts it on air.
    await approve(draft.id);
    await started(draft.id);
    expect(await state(draft.id)).toBe('on_air');
  });

  it('expires an on-air bulletin once its valid-until has passed (the minute sweep), and re-plans', async () => {
    const { bulletins, plans } = server.app.services;
    const sweep = scheduleJobs(plans, bulletins, server.app.log).find((j) => j.name === 'expiry-sweep')!;
    const b = await create(2500);
    await approve(b.id);
    await started(b.id);
    expect(await state(b.id)).toBe('on_air');
    await sweep.run();
    expect(await state(b.id)).toBe('on_air'); // still valid
    await new Promise((r) => setTimeout(r, Math.max(0, b.validUntil - Date.now() + 50)));
    const before = plans.runs().length;
    await sweep.run();
    expect(await state(b.id)).toBe('expired');
    await waitFor(
      'the re-plan',
      () =>
        plans
          .runs()
          .slice(before)
          .find((r) => r.why === 'change'),
      5000,
      20,
    );
  });
});
