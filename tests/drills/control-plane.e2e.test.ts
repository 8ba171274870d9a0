// Failure drills on the control plane as its own process, with its embedded broker (issue #10).
// One server, 100 simulated units playing steadily and a real agent behind a link the test can
// cut, set up once for two drills:
// - a unit flapping its link every few seconds does not harm the others;
// - the server killed (SIGKILL) and later stopped gracefully (SIGTERM), each time started again on
//   the same data dir and ports: the agent airs its item while the server is down (rule 6), every
//   unit is back with its plan unchanged, and every event is caught up exactly once.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTone } from '../support/audio.js';
import { startAgent, type AgentProcess } from '../support/agent.js';
import { expectExactlyOnce, type PlayLogRow } from '../support/agent-e2e.js';
import { waitFor } from '../support/wait.js';
import type { ApiClient } from '../../server/src/testing/api-client.js';
import { createUnits, listUnits, setUpCommune, type DrillCommune } from './support/drill-commune.js';
import { DrillFleet, allOnce } from './support/drill-fleet.js';
import { agentAcknowledged, aired, pinForAgent, storedEvents, type Item } from './support/drill-agent.js';
import { startLinkProxy, type LinkProxy } from './support/link-proxy.js';
import { startRestartableServer, type RestartableServer } from './support/server-restart.js';
import { flapBounds, measureFlapping } from './support/flapping.js';

const SIMS = 100;
const AGENT = 'drill-agent';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('drills on the control plane as a process', () => {
  let srv: RestartableServer;
  let link: LinkProxy;
  let agent: AgentProcess;
  let fleet: DrillFleet;
  let commune: DrillCommune;
  let sha256: string;
  const admin = (): ApiClient => srv.current.api;
  const work = mkdtempSync(join(tmpdir(), 'loa-drill-cp-'));

  beforeAll(async () => {
    srv = await startRestartableServer();
    const { units: sims, serverKeyPem } = await createUnits(admin(), SIMS, 'drill-sim');
    const created = await admin().post<{ secret: string }>('/api/units', { id: AGENT, name: 'Thôn Sóng Yếu' });
    expect(created.status).toBe(201);
    commune = await setUpCommune(admin());
    const tone = await commune.editor.upload<{ sha256: string }>(makeTone(work, 2, 'tone.mp3', 440));
    expect(tone.status).toBe(201);
    sha256 = tone.body.sha256;
    const simIds = sims.map((u) => u.id);
    await commune.pin([{ title: 'Tin mô phỏng', sha256, atS: commune.windowStartS + 540, unitIds: simIds }]);
    link = await startLinkProxy(Number(new URL(srv.mqttUrl).port));
    agent = startAgent({ mqttUrl: link.url, unit: AGENT, secret: created.body.secret, serverKeyPem });
    fleet = await DrillFleet.start(sims, srv.mqttUrl, serverKeyPem);
    await fleet.planned();
  }, 60_000);

  afterAll(async () => {
    await fleet?.close();
    await agent?.kill('SIGKILL');
    await link?.close();
    await srv?.stop();
  });

  /** The plan version each unit holds and the server stored: no drill may make a new one. */
  const versionsNow = () => new Map(fleet.units.map((u) => [u.id, u.plan!.version]));
  const storedVersions = () =>
    srv.read(
      (db) => db.prepare('SELECT unit_id AS id, version FROM plans').all() as Array<{ id: string; version: number }>,
    );

  /** Every event of every unit stored once and acknowledged, the agent's included; all online again. */
  async function everythingCaughtUp(items: number) {
    await fleet.acknowledged(30_000);
    const made = fleet.units.reduce((n, u) => n + u.seq, 0);
    expect(srv.read((db) => fleet.check(db))).toEqual(allOnce(SIMS, made));
    expect(fleet.bad()).toEqual([]);
    await agentAcknowledged(agent);
    expectExactlyOnce(srv.read((db) => storedEvents(db, AGENT)));
    const log = (await admin().get<{ entries: PlayLogRow[] }>(`/api/units/${AGENT}/play-log`)).body.entries;
    expect(log.filter((r) => r.outcome === 'finished')).toHaveLength(items);
    const rows = await waitFor('every unit online on the dashboard', async () => {
      const all = await listUnits(admin());
      return all.every((r) => r.online) ? all : undefined;
    });
    expect(rows.filter((r) => r.reportedPlanVersion !== r.publishedPlanVersion).map((r) => r.id)).toEqual([]);
    expect(agent.child.exitCode).toBeNull();
  }

  it('one unit flapping its link does not harm the others, and ends online with every event once', async () => {
    const items = await pinForAgent(admin(), commune, agent, AGENT, sha256, [
      { title: 'Bản tin 1', inS: 4 },
      { title: 'Bản tin 2', inS: 8 },
      { title: 'Bản tin 3', inS: 12 },
    ]);
    const versions = versionsNow();
    // The agent's link, and one simulated unit's own connection, fall every few seconds.
    const [flapper, ...others] = fleet.units as [DrillFleet['units'][0], ...DrillFleet['units']];
    fleet.play(1000);
    const plansBefore = others.map((u) => u.plans.length);
    const m = await measureFlapping(admin(), AGENT, () => {
      link.cut();
      flapper.cutLink();
    });

    // Both were cut each time, and came back each time.
    await waitFor('both back after the last cut', () =>
      link.connections > m.flaps && flapper.connects > m.flaps ? true : undefined,
    );
    // The server stayed responsive, and the flapping cost it nothing worth measuring.
    flapBounds(m);
    // The others: never disconnected, sent no plan again, their events acknowledged promptly.
    expect(others.filter((u) => u.connects !== 1).map((u) => u.id)).toEqual([]);
    expect(others.map((u) => u.plans.length)).toEqual(plansBefore);
    const delays = others.flatMap((u) => u.ackDelays.filter((d) => d.madeAt >= m.from && d.madeAt < m.to));
    expect(delays.length).toBeGreaterThan(others.length * 10);
    expect(Math.max(...delays.map((d) => d.ms))).toBeLessThanOrEqual(m.bounds.ackMaxMs);

    // The flapping agent aired every item; the server has each in the play log, every event once.
    await waitFor('the last item over', () => (Date.now() > items.at(-1)!.startAt + 2500 ? true : undefined), 20_000);
    fleet.stop();
    expect(items.filter((i) => !aired(agent).some((r) => r.itemId === i.id))).toEqual([]);
    await waitFor('three items finished in the play log', async () => {
      const rows = (await admin().get<{ entries: PlayLogRow[] }>(`/api/units/${AGENT}/play-log`)).body.entries;
      return rows.filter((r) => r.outcome === 'finished').length === 3 ? true : undefined;
    });
    await everythingCaughtUp(3);
    expect(storedVersions().filter((p) => versions.has(p.id) && p.version !== versions.get(p.id))).toEqual([]);
  }, 60_000);

  it('the server restarts under load: the agent plays on, and every event is caught up once', async () => {
    const [item] = (await pinForAgent(admin(), commune, agent, AGENT, sha256, [
      { title: 'Trong lúc máy chủ sập', inS: 5 },
    ])) as [Item];
    const versions = versionsNow();

    /** Ends the server and starts it again; resolves once every unit is back with its plan. */
    const restart = async (signal: 'SIGKILL' | 'SIGTERM') => {
      const downAt = Date.now();
      expect(await srv.end(signal)).toBe(signal === 'SIGKILL' ? null : 0);
      await srv.start();
      const upAt = Date.now();
      // Every unit back on the new broker, given its plan again (retained), unchanged.
      await waitFor(
        `every unit back after the ${signal} restart, with its plan`,
        () =>
          fleet.units.every(
            (u) => u.connected && u.plans.some((p) => p.at > downAt && p.version === versions.get(u.id)),
          )
            ? true
            : undefined,
        20_000,
      );
      return { downAt, upAt };
    };

    fleet.play(1000);
    // A crash just before the agent's item: the loudspeaker airs it, on time, while the server is down.
    await sleep(item.startAt - 1000 - Date.now());
    const crash = await restart('SIGKILL');
    const record = aired(agent).find((r) => r.itemId === item.id);
    expect(record, 'the item aired while the server was down').toBeDefined();
    expect(record!.startedAt).toBeGreaterThan(crash.downAt);
    expect(record!.startedAt).toBeLessThan(crash.upAt);
    expect(Math.abs(record!.startedAt - item.startAt), 'on time').toBeLessThan(100);
    // Then a graceful stop and start (an upgrade), under the same load.
    await restart('SIGTERM');
    await sleep(1000); // new events on the new connections, beside the resent ones
    fleet.stop();

    // The server caught up: every event once, the item in the play log as the loudspeaker aired it.
    await everythingCaughtUp(4);
    const log = (await admin().get<{ entries: PlayLogRow[] }>(`/api/units/${AGENT}/play-log`)).body.entries;
    expect(log.find((r) => r.itemId === item.id)).toMatchObject({ outcome: 'finished', startedAt: record!.startedAt });
    // No restart made a new plan: the ones published before are the ones the units hold.
    expect(storedVersions().filter((p) => versions.has(p.id) && p.version !== versions.get(p.id))).toEqual([]);
  }, 60_000);
});
