// One run of the fleet benchmark on one broker: set up a commune, create the units through the API,
// connect them from worker threads, let every unit hold its plan and media, then measure two
// phases while the units report, play and send events and people read the dashboard:
// - the soak: the fleet's everyday load, with plan changes that touch every unit (a window moved);
// - a new bulletin for the whole commune: a plan change that also sends every unit a new media.
// At the end every event a unit sent is looked for in what the server stored.
import { readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startDashboardLoad, type ApiFigures } from './dashboard-client.js';
import { checkEvents, type EventCheck } from './fleet-events.js';
import { startRig, type BrokerKind } from './fleet-rigs.js';
import { setUpCommune } from './fleet-setup.js';
import { FleetWorkers } from './fleet-workers.js';
import { watchServer, type LapFigures } from './server-watch.js';
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
  /** Log the server's event-loop stalls, GC pauses and memory here (stall-watch.mjs). */
  stallsDir?: string;
  /** Mosquitto's per-client queue, instead of the exported configuration's default (fleet-rigs.ts). */
  mosquittoQueue?: number;
  log(line: string): void;
}

export interface PlanChange {
  /** From the API call to the last unit holding the new plan, and to the server storing the last status reporting it. */
  deliveredMs: number;
  acknowledgedMs: number;
}

export interface Phase extends LapFigures {
  api: ApiFigures;
}

export interface FleetResult {
  broker: BrokerKind;
  units: number;
  loadBefore: number;
  loadAfter: number;
  createSeconds: number;
  connectSeconds: number;
  settleSeconds: number;
  soak: Phase & { planChanges: PlanChange[] };
  newBulletin: Phase & PlanChange & { mediaMs: number; media: MediaFigures };
  serverPeakRssMb: number;
  brokers: Array<{ name: string; peakRssMb: number; cpuCores: number }>;
  harnessCpuCores: number;
  events: EventCheck;
  telemetrySent: number;
  bad: number;
  badSamples: string[];
}

/** What the server published of the new bulletin's media (GET /api/media/distribution). */
export interface MediaFigures {
  bytes: number;
  /** Bytes published over the file's size: about 1 when the fan-out works as designed (DESIGN §3). */
  copiesPublished: number;
  rounds: number;
  wantsReceived: number;
}

interface DistributionStats {
  bytesPublished: number;
  roundsPublished: number;
  wantsReceived: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  const nodeArgs = o.profileDir ? ['--cpu-prof', '--cpu-prof-dir', o.profileDir] : [];
  const stallLog = o.stallsDir ? join(o.stallsDir, `stalls-${broker}.jsonl`) : undefined;
  if (stallLog) {
    rmSync(stallLog, { force: true });
    process.env.LOA_STALL_LOG = stallLog; // the server inherits this process's environment
    nodeArgs.push('--import', new URL('./stall-watch.mjs', import.meta.url).href);
  }
  const rig = await startRig(broker, { nodeArgs, mosquittoQueue: o.mosquittoQueue });
  const fleet = new FleetWorkers();
  let load: Awaited<ReturnType<typeof startDashboardLoad>> | undefined;
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
    let seen = '';
    await until('every unit holding its plan and media', Math.max(60_000, o.units * 60), async () => {
      const r = await fleet.report({ planSince: 0, media: commune.firstMedia });
      const acked = ackedSince(0);
      seen = `${r.connected} connected, ${r.planned} with a plan, ${r.holding} with the media, ${acked} acknowledged`;
      return r.planned === o.units && r.holding === o.units && acked === o.units ? r : undefined;
    }).catch((err: Error) => {
      const behind = db
        .prepare(
          `SELECT u.id, u.online, u.reported_plan_version AS reported, p.version AS published FROM units u
           LEFT JOIN plans p ON p.unit_id = u.id WHERE p.version IS NOT u.reported_plan_version OR u.online = 0 LIMIT 3`,
        )
        .all();
      throw new Error(`${err.message}: ${seen}; e.g. ${JSON.stringify(behind)}`);
    });
    const settleSeconds = (performance.now() - t) / 1000;

    /** Makes a change and times it to every unit's acknowledgement; NaN (a failed target) if it takes a minute. */
    const timeChange = async (change: () => Promise<void>, what: string): Promise<PlanChange & { t0: number }> => {
      const t0 = Date.now();
      try {
        await change();
        const ackAt = await until(`${what}: acknowledged by every unit`, 60_000, () =>
          ackedSince(t0) === o.units ? Date.now() : undefined,
        );
        const r = await fleet.report({ planSince: t0 });
        o.log(`  ${what}: delivered to every unit in ${r.plannedLastAt - t0} ms, acknowledged in ${ackAt - t0} ms`);
        return { t0, deliveredMs: r.plannedLastAt - t0, acknowledgedMs: ackAt - t0 };
      } catch (err) {
        o.log(`  ${(err as Error).message} (${ackedSince(t0)} of ${o.units})`);
        return { t0, deliveredMs: NaN, acknowledgedMs: NaN };
      }
    };

    const loadBefore = loadavg()[0]!;
    const watch = watchServer({ base: server.api.base, serverPid: server.child.pid!, brokers: rig.brokers });
    load = await startDashboardLoad({
      type: 'start',
      base: server.api.base,
      ...server.admin,
      users: o.apiUsers,
      browsers: o.browsers,
      pauseMs: o.apiPauseMs,
    });
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    fleet.tell({ type: 'plays', everyMs: o.playEverySeconds * 1000, playMs: o.playSeconds * 1000 });

    o.log(`soaking for ${o.soakSeconds} s…`);
    const soakStart = performance.now();
    const changes: Array<Promise<PlanChange>> = [];
    const firstChangeS = Math.min(15, o.soakSeconds / 3);
    for (let at = firstChangeS; at < o.soakSeconds - 5; at += o.planChangeEverySeconds)
      changes.push(sleep(at * 1000).then(() => timeChange(() => commune.moveWindow(), 'a window moved')));
    for (let s = 10; s < o.soakSeconds; s += 10) {
      await sleep(Math.max(0, soakStart + s * 1000 - performance.now()));
      const r = await fleet.report();
      const last = watch.last();
      o.log(
        `  ${s} s: ${r.connected} connected, ${r.plays} plays, ${r.unacked} units awaiting acks` +
          (last.p99Ms === undefined ? '' : `, lag p99 ${last.p99Ms.toFixed(0)} ms`) +
          `, server RSS ${last.rssMb} MB (heap ${last.heapUsedMb.toFixed(0)} MB)`,
      );
    }
    await sleep(Math.max(0, soakStart + o.soakSeconds * 1000 - performance.now()));
    const planChanges = await Promise.all(changes);
    const soak = { ...(await watch.lap()), api: await load.lap(), planChanges };

    o.log('a new bulletin for the whole commune: its plan and its media to every unit…');
    const distribution = async () => (await server.api.get<DistributionStats>('/api/media/distribution')).body;
    const before = await distribution();
    const bulletin = await timeChange(() => commune.approveSecond(), 'the new bulletin');
    const media = await until('the new media at every unit', 180_000, async () => {
      const r = await fleet.report({ media: commune.secondMedia });
      return r.holding === o.units ? r : undefined;
    }).catch(async (err: Error) => {
      o.log(`  ${err.message}`);
      return undefined;
    });
    const mediaMs = media ? media.holdingLastAt - bulletin.t0 : NaN;
    const after = await distribution();
    const published: MediaFigures = {
      bytes: commune.secondMediaBytes,
      copiesPublished: (after.bytesPublished - before.bytesPublished) / commune.secondMediaBytes,
      rounds: after.roundsPublished - before.roundsPublished,
      wantsReceived: after.wantsReceived - before.wantsReceived,
    };
    o.log(
      `  its media verified by every unit after ${mediaMs} ms; ${published.copiesPublished.toFixed(1)} copies ` +
        `published in ${published.rounds} rounds for ${published.wantsReceived} wants`,
    );
    const newBulletin = { ...(await watch.lap()), api: await load.stop(), ...bulletin, mediaMs, media: published };
    load = undefined;

    fleet.tell({ type: 'stop-plays' });
    const cpu = process.cpuUsage(cpu0);
    const harnessCpuCores = (cpu.user + cpu.system) / 1e6 / ((performance.now() - start) / 1000);
    const peak = watch.peakRssMb();
    await watch.stop();
    const loadAfter = loadavg()[0]!;

    if (stallLog) summarizeStalls(stallLog, o.log);
    o.log('letting the last events be acknowledged…');
    await sleep(o.playSeconds * 1000 + 500);
    const final = await until('every event acknowledged', 60_000, async () => {
      const r = await fleet.report();
      return r.unacked === 0 ? r : undefined;
    }).catch(() => fleet.report());
    const events = checkEvents(db, final.eventsLastSeq);
    db.close();

    return {
      broker,
      units: o.units,
      loadBefore,
      loadAfter,
      createSeconds,
      connectSeconds,
      settleSeconds,
      soak,
      newBulletin,
      serverPeakRssMb: peak.server,
      brokers: peak.brokers.map((b, i) => ({
        name: b.name,
        peakRssMb: b.mb,
        cpuCores:
          ((soak.brokerCpuCores[i] ?? 0) * soak.seconds + (newBulletin.brokerCpuCores[i] ?? 0) * newBulletin.seconds) /
          (soak.seconds + newBulletin.seconds),
      })),
      harnessCpuCores,
      events,
      telemetrySent: final.counters.telemetrySent,
      bad: final.bad,
      badSamples: final.badSamples,
    };
  } catch (err) {
    const notes = rig.brokerNotes?.() ?? [];
    if (notes.length) o.log(`the broker said: ${notes.slice(0, 5).join(' | ')}`);
    throw err;
  } finally {
    await load?.terminate();
    await fleet.close();
    await rig.stop();
  }
}

/** The longest stalls and GC pauses stall-watch.mjs logged, with their time since the server started. */
function summarizeStalls(file: string, log: (line: string) => void) {
  let lines: Array<{ kind: string; ms: number; atS: number }>;
  try {
    lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { kind: string; ms: number; atS: number });
  } catch {
    return log(`  no stall log in ${file}`);
  }
  for (const kind of ['stall', 'gc']) {
    const xs = lines.filter((l) => l.kind === kind).sort((a, b) => b.ms - a.ms);
    const over = (ms: number) => xs.filter((x) => x.ms > ms).length;
    log(
      `  ${kind === 'stall' ? 'event-loop stalls' : 'GC pauses'}: ${over(100)} over 100 ms, ${over(250)} over 250 ms; ` +
        `longest ${
          xs
            .slice(0, 5)
            .map((x) => `${x.ms} ms at +${x.atS.toFixed(1)} s`)
            .join(', ') || 'none'
        } (${file})`,
    );
  }
}
