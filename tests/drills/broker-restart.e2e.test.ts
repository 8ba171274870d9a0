// Failure drill (issue #10): the external broker restarts under load. A real Mosquitto on the
// exported configuration (no persistence: it comes back empty, without sessions or retained
// messages) is stopped and started again while 150 simulated units and one real agent publish
// play events. The units reconnect, the server republishes every plan (retained) once it is back
// on the broker, the agent's item that aired during the outage reaches the play log, and every
// event of every unit is stored exactly once.
//
// This drill found a real loss: units resend their backlog as soon as they reconnect, often before
// the server is subscribed again, and their next new event arrived first; the server took that
// event's number as proof that everything below it was gone from the unit, acknowledged past it,
// and the units forgot about 1,400 events never stored (fixed in server/src/events).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTone } from '../support/audio.js';
import { startAgent, type AgentProcess } from '../support/agent.js';
import { addObserver, startServerWithMosquitto, type MosquittoServer } from '../support/mosquitto.js';
import { expectExactlyOnce, outage, playLog } from '../support/agent-e2e.js';
import { watcher } from '../../server/src/testing/mqtt-probe.js';
import { waitFor } from '../support/wait.js';
import { createUnits, listUnits, setUpCommune } from './support/drill-commune.js';
import { DrillFleet, allOnce } from './support/drill-fleet.js';
import { agentAcknowledged, aired, pinForAgent, storedEvents, type Item } from './support/drill-agent.js';

const SIMS = 150;
const AGENT = 'drill-mq-agent';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('drill: the broker restarts under load', () => {
  let env: MosquittoServer | undefined;
  let broker: ReturnType<typeof outage> | undefined;
  let agent: AgentProcess | undefined;
  let fleet: DrillFleet | undefined;
  const work = mkdtempSync(join(tmpdir(), 'loa-drill-mq-'));

  afterAll(async () => {
    await fleet?.close();
    await agent?.kill('SIGKILL');
    await broker?.close();
    await env?.stop();
  });

  it('units reconnect, plans come back retained, and every event is stored exactly once', async () => {
    env = await startServerWithMosquitto();
    broker = outage(env.mosquitto);
    const { server, mosquitto } = env;
    const { admin } = server;
    const { units: sims, serverKeyPem } = await createUnits(admin, SIMS, 'drill-mq');
    const created = await admin.post<{ secret: string }>('/api/units', { id: AGENT, name: 'Thôn Loa Thật' });
    expect(created.status).toBe(201);
    // After the last credential change: the server rewrites the files (and drops it) on each.
    const observer = await addObserver(mosquitto, [AGENT]);

    const commune = await setUpCommune(admin);
    const tone = await commune.editor.upload<{ sha256: string }>(makeTone(work, 2, 'tone.mp3', 660));
    expect(tone.status).toBe(201);
    const simIds = sims.map((u) => u.id);
    await commune.pin([
      { title: 'Tin mô phỏng', sha256: tone.body.sha256, atS: commune.windowStartS + 540, unitIds: simIds },
    ]);
    agent = startAgent({ mqttUrl: mosquitto.url, unit: AGENT, secret: created.body.secret, serverKeyPem });
    fleet = await DrillFleet.start(sims, mosquitto.url, serverKeyPem);
    await fleet.planned();
    // The agent's items: one airs while the broker is down, one after it is back.
    const [during, after] = (await pinForAgent(admin, commune, agent, AGENT, tone.body.sha256, [
      { title: 'Trong lúc mất broker', inS: 6 },
      { title: 'Sau khi broker trở lại', inS: 12 },
    ])) as [Item, Item];
    const versions = new Map(fleet.units.map((u) => [u.id, u.plan!.version]));

    // Under load: every unit plays an item (two events) a second, 300 events a second in all.
    fleet.play(1000);
    await sleep(Math.max(1000, during.startAt - 1500 - Date.now()));
    const stoppedAt = Date.now();
    await broker.stop();
    await sleep(Math.max(3000, during.startAt + 2500 - Date.now()));
    const madeWhileDown = fleet.units.reduce((n, u) => n + u.seq - u.ackedUpTo, 0);
    await broker.start();
    const restartedAt = Date.now();

    // Everyone back: each unit connected again and was sent its plan again, the same version.
    await waitFor(
      'every unit reconnected with its plan again',
      () =>
        fleet!.units.every(
          (u) => u.connected && u.plans.some((p) => p.at > stoppedAt && p.version === versions.get(u.id)),
        )
          ? true
          : undefined,
      20_000,
    );
    await waitFor('the agent’s second item over', () => (Date.now() > after.startAt + 2500 ? true : undefined), 20_000);
    fleet.stop();

    // The broker holds every plan again, retained: a unit that comes back with an empty disk gets it.
    const w = await watcher(mosquitto.url, observer.username, observer.password, { filter: 'loa/v1/units/+/plan' });
    const retained = await waitFor('every plan retained', () => (w.seen.length >= SIMS + 1 ? w.seen : undefined));
    await w.close();
    expect(retained.every((m) => m.retain)).toBe(true);
    const published = server.app.db.prepare('SELECT envelope FROM plans').all() as Array<{ envelope: string }>;
    expect(new Set(retained.map((m) => m.payload))).toEqual(new Set(published.map((p) => p.envelope)));

    // Nothing lost, nothing doubled: the events made while the broker was down included.
    await fleet.acknowledged();
    expect(madeWhileDown).toBeGreaterThan(SIMS);
    const made = fleet.units.reduce((n, u) => n + u.seq, 0);
    expect(fleet.check(server.app.db)).toEqual(allOnce(SIMS, made));
    expect(fleet.bad()).toEqual([]);
    expect(fleet.units.filter((u) => u.connects < 2).map((u) => u.id)).toEqual([]);

    // The loudspeaker aired the first item while the broker was down; both reach the play log once.
    const record = aired(agent).find((r) => r.itemId === during.id);
    expect(record, 'the item aired while the broker was down').toBeDefined();
    expect(record!.startedAt).toBeGreaterThan(stoppedAt);
    expect(record!.startedAt).toBeLessThan(restartedAt);
    const log = await waitFor('both items finished in the play log', async () => {
      const rows = await playLog(server, AGENT);
      return rows.filter((r) => r.outcome === 'finished').length === 2 ? rows : undefined;
    });
    expect(log.map((r) => r.itemId).sort()).toEqual([during.id, after.id].sort());
    await agentAcknowledged(agent);
    expectExactlyOnce(storedEvents(server.app.db, AGENT));

    // What the dashboard shows: every unit online, holding the plan the server published.
    const rows = await listUnits(admin);
    expect(rows.filter((r) => !r.online).map((r) => r.id)).toEqual([]);
    expect(rows.filter((r) => r.reportedPlanVersion !== r.publishedPlanVersion).map((r) => r.id)).toEqual([]);
  }, 90_000);
});
