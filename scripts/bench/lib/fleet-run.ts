// One run of the fleet benchmark on one broker: set up a commune, create the units through the API,
// connect them from worker threads, let every unit hold its plan and media, then soak — telemetry,
// plays with their events, plan changes, a dashboard read by people — while the server is watched.
// At the end every event a unit sent is looked for in what the server stored.
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { LoadMessage, LoadRequest, LoadResult } from './dashboard-load.js';
import { setUpCommune } from './fleet-setup.js';
import { startRig, type BrokerKind } from './fleet-rigs.js';
import { FleetWorkers } from './fleet-workers.js';
import { checkEvents, type EventCheck } from './fleet-events.js';
import { watchServer, type WatchFigures } from './server-watch.js';
import { tsWorker } from './ts-worker.js';
import { createUnits } from './units.js';

export interface FleetOptions {
  units: number;
  workers: number;
  soakSeconds: number;
  telemetrySeconds: number;
  playEverySeconds: number;
  playSeconds: number;
  planChangeEverySeconds: number;
  apiUsers: number;
  apiPauseMs: number;
  browsers: number;
  /** Write the server's CPU profile here (node --cpu-prof). */
  profileDir?: string;
  log(line: string): void;
}

export interface PlanChange {
  what: string;
  /** From the API call to the last unit holding the new plan, and to the server storing the last status reporting it. */
  deliveredMs: number;
  acknowledgedMs: number;
  acknowledged: number;
}

export interface FleetResult extends WatchFigures {
  broker: BrokerKind;
  units: number;
  loadBefore: number;
  loadAfter: number;
  createSeconds: number;
  connectSeconds: number;
  settleSeconds: number;
  soakSeconds: number;
  api: {
    requests: number;
    failures: number;
    p50Ms: number;
    p99Ms: number;
    byPath: Record<string, { n: number; p99Ms: number }>;
  };
  feedMessages: number;
  planChanges: PlanChange[];
  planToAllMs: number;
  mediaToAllMs: number;
  events: EventCheck;
  telemetrySent: number;
  harnessCpuCores: number;
  bad: number;
  badSamples: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN;

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(100);
  }
}

export async function runFleet(broker: BrokerKind, o: FleetOptions): Promise<FleetResult> {
  const rig = await startRig(broker, o.profileDir ? ['--cpu-prof', '--cpu-prof-dir', o.profileDir] : []);
  const fleet = new FleetWorkers();
  let load: Worker | undefined;
  try {
    const { server } = rig;
    const commune = await setUpCommune(server.api);
    let t = performance.now();
    o.log(`creating ${o.units} units through the API…`);
    const { units, serverKeyPem } = await createUnits(server.api, o.units, 'thon');
    const createSeconds = (performance.now() - t) / 1000;

    o.log(`connecting them from ${o.workers} worker threads…`);
    t = performance.now();
    const timing = {
      telemetryEveryMs: o.telemetrySeconds * 1000,
      wantEveryMs: 5000,
      eventsResendMs: 10_000,
      timeProbeEveryMs: 300_000,
    };
    await fleet.connect({ count: o.workers, urls: rig.unitUrls, serverKeyPem, units, timing });
    const connectSeconds = (performance.now() - t) / 1000;

    // Read-only, beside the server: what it stored is the measure of "acknowledged" and "not lost".
    const db = new Database(join(server.dataDir, 'loa.db'), { readonly: true });
    const acknowledged = db.prepare(
      `SELECT COUNT(*) AS n FROM units u JOIN plans p ON p.unit_id = u.id
       WHERE p.published_at >= ? AND u.reported_plan_version = p.version AND u.online = 1`,
    );
    const ackedSince = (since: number) => (acknowledged.get(since) as { n: number }).n;

    o.log('waiting for every unit to hold its plan and the first bulletin…');
    t = performance.now();
    await until('every unit holding its plan and media', Math.max(300_000, o.units * 60), async () => {
      const r = await fleet.report({ planSince: 0, media: commune.firstMedia });
      return r.planned === o.units && r.holding === o.units && ackedSince(0) === o.units ? r : undefined;
    });
    const settleSeconds = (performance.now() - t) / 1000;

    o.log(`soaking for ${o.soakSeconds} s…`);
    const loadBefore = loadavg()[0]!;
    const watch = watchServer({ base: server.api.base, serverPid: server.child.pid!, brokers: rig.brokers });
    load = tsWorker(new URL('./dashboard-load.ts', import.meta.url));
    const loadResult = dashboardLoad(load, {
      type: 'start',
      base: server.api.base,
      ...server.admin,
      users: o.apiUsers,
      browsers: o.browsers,
      pauseMs: o.apiPauseMs,
    });
    await loadResult.started;
    const cpu0 = process.cpuUsage();
    const soakStart = performance.now();
    fleet.tell({ type: 'plays', everyMs: o.playEverySeconds * 1000, playMs: o.playSeconds * 1000 });

    const planChanges: PlanChange[] = [];
    let mediaToAllMs = NaN;
    const changes: Promise<void>[] = [];
    const timeChange = async (i: number) => {
      const what = i === 0 ? 'new bulletin for the whole commune' : 'a window moved';
      const t0 = Date.now();
      try {
        await commune.changePlan(i);
        const ackAt = await until(`plan change ${i + 1} acknowledged`, 60_000, () =>
          ackedSince(t0) === o.units ? Date.now() : undefined,
        );
        const r = await fleet.report({ planSince: t0 });
        planChanges.push({
          what,
          deliveredMs: r.plannedLastAt - t0,
          acknowledgedMs: ackAt - t0,
          acknowledged: o.units,
        });
        o.log(`  plan change ${i + 1} (${what}): every unit's acknowledgement stored after ${ackAt - t0} ms`);
        if (i > 0) return;
        const m = await until('the new media at every unit', 120_000, async () => {
          const r = await fleet.report({ media: commune.secondMedia });
          return r.holding === o.units ? r : undefined;
        });
        mediaToAllMs = m.holdingLastAt - t0;
        o.log(`  its media verified by every unit after ${mediaToAllMs} ms`);
      } catch (err) {
        // Counted as a miss (NaN fails the target), and the soak goes on.
        planChanges.push({ what, deliveredMs: NaN, acknowledgedMs: NaN, acknowledged: ackedSince(t0) });
        o.log(`  plan change ${i + 1} (${what}): ${(err as Error).message}`);
      }
    };
    const firstChangeS = Math.min(15, o.soakSeconds / 3);
    for (let i = 0, at = firstChangeS; at < o.soakSeconds - 5; i++, at += o.planChangeEverySeconds) {
      changes.push(sleep(at * 1000).then(() => timeChange(i)));
    }
    for (let s = 10; s < o.soakSeconds; s += 10) {
      await sleep(Math.max(0, soakStart + s * 1000 - performance.now()));
      const r = await fleet.report();
      const w = watch.windows.at(-1);
      o.log(
        `  ${s} s: ${r.connected} connected, ${r.plays} plays, ${r.unacked} units awaiting acks` +
          (w ? `, lag p99 ${w.p99Ms.toFixed(0)} ms` : ''),
      );
    }
    await sleep(Math.max(0, soakStart + o.soakSeconds * 1000 - performance.now()));
    fleet.tell({ type: 'stop-plays' });
    const soakSeconds = (performance.now() - soakStart) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const [figures, api] = await Promise.all([watch.stop(), loadResult.stop()]);
    const loadAfter = loadavg()[0]!;
    await Promise.all(changes);

    o.log('letting the last events be acknowledged…');
    await sleep(o.playSeconds * 1000 + 500);
    const final = await until('every event acknowledged', 60_000, async () => {
      const r = await fleet.report();
      return r.unacked === 0 ? r : undefined;
    }).catch(() => fleet.report());
    const events = checkEvents(db, final.eventsLastSeq);
    db.close();

    const all = Object.values(api.latencies)
      .flat()
      .sort((a, b) => a - b);
    return {
      broker,
      units: o.units,
      loadBefore,
      loadAfter,
      createSeconds,
      connectSeconds,
      settleSeconds,
      soakSeconds,
      ...figures,
      api: {
        requests: all.length,
        failures: api.failures,
        p50Ms: percentile(all, 50),
        p99Ms: percentile(all, 99),
        byPath: Object.fromEntries(
          Object.entries(api.latencies).map(([p, l]) => [
            p,
            {
              n: l.length,
              p99Ms: percentile(
                l.sort((a, b) => a - b),
                99,
              ),
            },
          ]),
        ),
      },
      feedMessages: api.feedMessages,
      planChanges,
      planToAllMs: Math.max(...planChanges.map((c) => c.acknowledgedMs)),
      mediaToAllMs,
      events,
      telemetrySent: final.counters.telemetrySent,
      harnessCpuCores: (cpu.user + cpu.system) / 1e6 / soakSeconds,
      bad: final.bad,
      badSamples: final.badSamples,
    };
  } finally {
    await load?.terminate();
    await fleet.close();
    await rig.stop();
  }
}

/** Starts the dashboard load worker; `stop()` ends it and resolves with its timings. */
function dashboardLoad(worker: Worker, start: LoadRequest) {
  let resolveResult: (r: LoadResult) => void = () => undefined;
  const result = new Promise<LoadResult>((r) => (resolveResult = r));
  const started = new Promise<void>((resolve, reject) => {
    worker.on('message', (m: LoadMessage) => {
      if (m.type === 'started') resolve();
      else if (m.type === 'error') reject(new Error(`dashboard load: ${m.message}`));
      else resolveResult(m.result);
    });
    worker.on('error', reject);
  });
  worker.postMessage(start);
  return {
    started,
    stop: () => {
      worker.postMessage({ type: 'stop' } satisfies LoadRequest);
      return result;
    },
  };
}
