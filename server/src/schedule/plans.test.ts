// Plans are derived, versioned, signed, and published only when their content changed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlanBody, decoder } from '@loa/shared';
import { openEnvelope } from '@loa/shared/envelope';
import { replansAfter } from '../testing/replans.js';
import { startServer, type TestServer } from '../testing/start-server.js';

describe('published plans', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.close());

  it('publishes a signed, retained plan per unit, and nothing when a re-plan changes nothing', async () => {
    const res = await server.admin.post<{ secret: string }>('/api/units', { id: 'cum-plan', name: 'Cụm' });
    await server.app.services.plans.idle();
    await server.app.services.plans.replanAll();
    const first = server.app.services.plans.body('cum-plan');
    expect(first?.version).toBeGreaterThanOrEqual(1);
    expect(await server.app.services.plans.replanAll()).toMatchObject({ published: 0 });
    expect(server.app.services.plans.body('cum-plan')?.version).toBe(first?.version);

    // A unit that connects later gets the retained plan, and it verifies with the server's key.
    const client = await mqtt.connectAsync(server.mqttUrl, {
      clientId: 'loa-unit-cum-plan',
      username: 'cum-plan',
      password: res.body.secret,
      reconnectPeriod: 0,
    });
    const got = new Promise<Buffer>((resolve) => client.once('message', (_t, p) => resolve(p)));
    await client.subscribeAsync('loa/v1/units/cum-plan/plan', { qos: 1 });
    const plan = openEnvelope(
      await got,
      new Map([[server.app.signer.kid, server.app.signer.publicKey]]),
      decoder(PlanBody),
    );
    expect(plan.ok && plan.value.version).toBe(first?.version);
    await client.endAsync();

    // Changing the windows changes the content: a new version.
    await server.admin.put('/api/communes/default/windows', {
      windows: [{ id: 'morning', start: '05:30', end: '07:00' }],
    });
    await new Promise((r) => setTimeout(r, 300));
    await server.app.services.plans.idle();
    expect(server.app.services.plans.body('cum-plan')?.version).toBe(first!.version + 1);
  });

  it('says it is busy from a change until its plans are out (the media distributor waits on it)', async () => {
    const plans = server.app.services.plans;
    await plans.idle();
    expect(plans.busy()).toBe(false);
    plans.schedule(50); // a change: a re-plan is coming
    expect(plans.busy()).toBe(true);
    await new Promise((r) => setTimeout(r, 60)); // the re-plan runs now
    const run = plans.replanAll(); // and another queued behind it
    expect(plans.busy()).toBe(true);
    await run;
    expect(plans.busy()).toBe(false);
  });

  it('re-plans only the communes a change touched; a burst covers every one it touched', async () => {
    const plans = server.app.services.plans;
    const admin = server.admin;
    await admin.post('/api/communes', { id: 'xa-a', name: 'Xã A' });
    await admin.post('/api/communes', { id: 'xa-b', name: 'Xã B' });
    for (const [id, communeId] of [
      ['a-1', 'xa-a'],
      ['a-2', 'xa-a'],
      ['b-1', 'xa-b'],
      ['b-2', 'xa-b'],
      ['b-3', 'xa-b'],
    ])
      await admin.post('/api/units', { id, name: id, communeId });
    await plans.idle();
    await plans.replanAll();
    const everyUnit = plans.runs().at(-1)!;
    expect(everyUnit.communes).toBeUndefined(); // every commune
    expect(everyUnit.units).toBeGreaterThanOrEqual(5 + 1); // and the first test's unit
    const versions = () => Object.fromEntries(['a-1', 'b-1'].map((u) => [u, plans.body(u)!.version]));
    // The re-plan each change below asks for: one run, and only one.
    let seen = plans.runs().length;
    const lastChange = async () => {
      const runs = await replansAfter(plans, seen);
      seen = plans.runs().length;
      expect(runs.map((r) => r.why)).toEqual(['change']);
      return runs[0]!;
    };

    // A bulletin approved in Xã B: Xã B's three units planned, Xã A's plans untouched.
    const editor = await server.userClient('editor', { communeIds: ['xa-b'] });
    const approver = await server.userClient('approver', { communeIds: ['xa-b'] });
    const work = mkdtempSync(join(tmpdir(), 'loa-scope-'));
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=duration=2', join(work, 't.mp3')]);
    const sha = (await admin.upload<{ sha256: string }>(join(work, 't.mp3'))).body.sha256;
    const before = versions();
    const b = await editor.post<{ id: string }>('/api/bulletins', {
      communeId: 'xa-b',
      title: 'Họp thôn',
      level: 'ordinary',
      mediaSha256: sha,
      targets: { commune: true },
      recurrence: { days: [0, 1, 2, 3, 4, 5, 6], pinnedTimes: ['17:30'] },
      validFrom: new Date().toISOString(),
      validUntil: new Date(Date.now() + 7 * 86400_000).toISOString(),
    });
    expect(b.status).toBe(201);
    await editor.post(`/api/bulletins/${b.body.id}/submit`);
    expect((await approver.post<{ state: string }>(`/api/bulletins/${b.body.id}/approve`)).body.state).toBe('approved');
    expect(await lastChange()).toMatchObject({ communes: ['xa-b'], units: 3 });
    expect(versions()).toEqual({ 'a-1': before['a-1'], 'b-1': before['b-1']! + 1 });
    expect(plans.body('b-2')!.items.map((i) => i.bulletinId)).toContain(b.body.id);

    // Windows moved in both communes in one burst (in the same turn, so that a slow machine
    // cannot split it): one re-plan covering both.
    for (const c of ['xa-a', 'xa-b'])
      server.app.services.communes.setWindows(c, [{ id: 'evening', start: '17:00', end: '19:30' }]);
    const both = await lastChange();
    expect(new Set(both.communes)).toEqual(new Set(['xa-a', 'xa-b']));
    expect(both.units).toBe(5);
    expect(versions()).toEqual({ 'a-1': before['a-1']! + 1, 'b-1': before['b-1']! + 2 });

    // A new unit: its commune only. A zone: its commune only.
    await admin.post('/api/units', { id: 'a-3', name: 'a-3', communeId: 'xa-a' });
    expect(await lastChange()).toMatchObject({ communes: ['xa-a'], units: 3 });
    expect(plans.body('a-3')?.version).toBe(1);
    await admin.post('/api/zones', { id: 'b-tren', communeId: 'xa-b', name: 'Xóm trên', unitIds: ['b-1'] });
    expect(await lastChange()).toMatchObject({ communes: ['xa-b'], units: 3 });

    // The bulletin past its end (the expiry job): its commune only, and its units' plans lose it.
    expect(server.app.services.bulletins.expireLapsed(Date.now() + 8 * 86400_000)).toContain(b.body.id);
    expect(await lastChange()).toMatchObject({ communes: ['xa-b'], units: 3 });
    expect(plans.body('b-2')!.items.map((i) => i.bulletinId)).not.toContain(b.body.id);
  });
});
