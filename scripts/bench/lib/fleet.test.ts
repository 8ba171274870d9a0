// The fleet benchmark's own parts, small: twenty simulated units in worker threads against the real
// server and its embedded broker, and the event check that decides "lost" and "doubled".
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type PlanBody } from '@loa/shared';
import { signEnvelope } from '@loa/shared/envelope';
import { lavfi } from '../../../server/src/media/testing/fixtures.js';
import { startServer, type TestServer } from '../../../server/src/testing/start-server.js';
import { waitFor } from '../../../server/src/testing/wait.js';
// `server.app.db`: what the server stored, read directly.
import type {} from '../../../server/src/db/db.plugin.js';
import { checkEvents } from './fleet-events.js';
import { setUpCommune, type FleetCommune } from './fleet-setup.js';
import { FleetWorkers } from './fleet-workers.js';
import { createUnits, type UnitLogin } from './units.js';

const N = 20;

describe('the fleet benchmark’s simulated units', () => {
  let server: TestServer;
  let commune: FleetCommune;
  let units: UnitLogin[];
  const fleet = new FleetWorkers();

  beforeAll(async () => {
    server = await startServer();
    const dir = mkdtempSync(join(tmpdir(), 'loa-fleet-test-'));
    const audio: [string, string] = [
      lavfi(dir, 'a.wav', 'sine=frequency=440:duration=2'),
      lavfi(dir, 'b.wav', 'sine=frequency=660:duration=2'),
    ];
    commune = await setUpCommune(server.admin, audio);
    const made = await createUnits(server.admin, N, 'thu');
    units = made.units;
    const timing = { telemetryEveryMs: 1000, wantEveryMs: 1000, eventsResendMs: 1000, timeProbeEveryMs: 60_000 };
    await fleet.connect({ count: 1, urls: [server.mqttUrl], serverKeyPem: made.serverKeyPem, units, timing });
  });
  afterAll(async () => {
    await fleet.close();
    await server?.close();
  });

  const stored = () =>
    (
      server.app.db
        .prepare('SELECT COUNT(*) AS n FROM units WHERE reported_plan_version IS NOT NULL AND online = 1')
        .get() as { n: number }
    ).n;

  it('verify their plans, acknowledge them by their status, and fetch the media', async () => {
    const r = await waitFor('every unit holding plan and media', async () => {
      const r = await fleet.report({ planSince: 0, media: commune.firstMedia });
      return r.planned === N && r.holding === N && stored() === N ? r : undefined;
    });
    expect(r.connected).toBe(N);
    expect(r.counters.plansRefused).toBe(0);
    expect(r.bad).toBe(0);
    const view = (
      await server.admin.get<{ units: Array<{ reportedPlanVersion: number; publishedPlanVersion: number }> }>(
        '/api/units',
      )
    ).body;
    expect(view.units.every((u) => u.reportedPlanVersion === u.publishedPlanVersion)).toBe(true);

    const t0 = Date.now();
    await commune.approveSecond();
    await waitFor('the new plan and its media at every unit', async () => {
      const r = await fleet.report({ planSince: t0, media: commune.secondMedia });
      return r.planned === N && r.holding === N ? r : undefined;
    });
  });

  it('refuse a plan signed by another key, or signed for another unit', async () => {
    const before = (await fleet.report()).counters.plansRefused;
    const stranger = generateKeyPairSync('ed25519').privateKey;
    const body = (unit: string, version: number): PlanBody => ({
      unit,
      version,
      issuedAt: Date.now(),
      expiresAt: Date.now() + 3600_000,
      windows: [],
      items: [],
    });
    const [a, b] = units as [UnitLogin, UnitLogin];
    const forged = signEnvelope(body(a.id, 999), stranger, server.app.signer.kid);
    await server.app.bus.publish(topics.plan(a.id), JSON.stringify(forged), { qos: 1 });
    const misdirected = server.app.signer.sign(body(a.id, 999));
    await server.app.bus.publish(topics.plan(b.id), JSON.stringify(misdirected), { qos: 1 });
    const r = await waitFor('two plans refused', async () => {
      const r = await fleet.report();
      return r.counters.plansRefused === before + 2 ? r : undefined;
    });
    expect(r.badSamples.join('\n')).toMatch(/bad signature/);
    expect(r.badSamples.join('\n')).toMatch(new RegExp(`for ${a.id}`));
  });

  it('number their play events, and every one is stored once and acknowledged', async () => {
    fleet.tell({ type: 'plays', everyMs: 1000, playMs: 200 });
    await waitFor('two plays on every unit', async () => ((await fleet.report()).plays >= 2 * N ? true : undefined));
    fleet.tell({ type: 'stop-plays' });
    const r = await waitFor('every event acknowledged', async () => {
      await new Promise((res) => setTimeout(res, 300));
      const r = await fleet.report();
      return r.unacked === 0 ? r : undefined;
    });
    const check = checkEvents(server.app.db, r.eventsLastSeq);
    expect(check.sent).toBeGreaterThanOrEqual(4 * N);
    expect(check).toEqual({
      sent: check.sent,
      stored: check.sent,
      lost: 0,
      doubled: 0,
      unknown: 0,
      unitsNotAcknowledged: 0,
    });
  });
});

describe('the fleet benchmark’s event check', () => {
  it('counts a missing number as lost, a second copy as doubled, a number never sent as unknown', () => {
    // The server's table forbids a second copy; this one does not, so the check itself is tried.
    const db = new Database(':memory:');
    db.exec('CREATE TABLE unit_events (unit_id TEXT, seq INTEGER); CREATE TABLE units (id TEXT, events_acked INTEGER)');
    const ins = db.prepare('INSERT INTO unit_events VALUES (?, ?)');
    for (const seq of [1, 2, 4, 4, 6]) ins.run('a', seq);
    for (const seq of [1, 2]) ins.run('b', seq);
    db.prepare('INSERT INTO units VALUES (?, ?)').run('a', 5);
    db.prepare('INSERT INTO units VALUES (?, ?)').run('b', 1);
    expect(checkEvents(db, { a: 5, b: 2 })).toEqual({
      sent: 7,
      stored: 7,
      lost: 2, // a#3, a#5
      doubled: 1, // a#4 again
      unknown: 1, // a#6
      unitsNotAcknowledged: 1, // b acknowledged up to 1 of 2
    });
  });
});
