// `npm run bench -- fleet [--units 5000] [--soak-seconds 90] [--broker embedded|mosquitto|cluster|all]
//   [--workers 4] [--telemetry-seconds 10] [--play-every 30] [--play-seconds 10] [--plan-change-every 60]
//   [--api-users 2] [--api-pause-ms 500] [--browsers 1] [--profile DIR] [--stalls DIR] [--mosquitto-queue N]`
// Issue #10: a province's fleet on one machine. The server runs as its own process (as `npm start`
// runs it); N simulated units speak the real protocol from a few worker threads (fleet-unit.ts):
// their own credentials and will, retained status, telemetry, signed plans verified and
// acknowledged, media wanted and fetched, play events numbered and acknowledged. During the soak
// plans change for every unit, and people read the dashboard from another thread. Prints the
// figures against the targets, brokers side by side, then one line of JSON.
// `--soak-seconds 600` is the 10-minute soak; `--profile DIR` writes the server's CPU profile;
// `--stalls DIR` logs each stall of its event loop and GC pause (time base of the profile: stall-watch.mjs);
// `--mosquitto-queue N` runs Mosquitto with `max_queued_messages N` added to the exported configuration.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { BROKERS, RigUnavailable, type BrokerKind } from './lib/fleet-rigs.js';
import { runFleet, type FleetOptions, type FleetResult, type Phase } from './lib/fleet-run.js';

const TARGETS = { serverRssMb: 500, lagP99Ms: 50, apiP99Ms: 100, planToAllMs: 5000 };

const NUMERIC = {
  units: 'units',
  workers: 'workers',
  'soak-seconds': 'soakSeconds',
  'telemetry-seconds': 'telemetrySeconds',
  'play-every': 'playEverySeconds',
  'play-seconds': 'playSeconds',
  'plan-change-every': 'planChangeEverySeconds',
  'api-users': 'apiUsers',
  'api-pause-ms': 'apiPauseMs',
  browsers: 'browsers',
  'mosquitto-queue': 'mosquittoQueue',
} as const;

function parseArgs(args: string[]): { o: FleetOptions; brokers: BrokerKind[] } {
  const o: FleetOptions = {
    units: 5000,
    workers: 4,
    soakSeconds: 90,
    telemetrySeconds: 10,
    playEverySeconds: 30,
    playSeconds: 10,
    planChangeEverySeconds: 60,
    apiUsers: 2,
    apiPauseMs: 500,
    browsers: 1,
    log: (line) => console.log(line),
  };
  let brokers: BrokerKind[] = ['embedded'];
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i]?.replace(/^--/, '') ?? '';
    const raw = args[i + 1] ?? '';
    if (key in NUMERIC && /^\d+$/.test(raw) && (Number(raw) > 0 || key === 'browsers' || key === 'api-users'))
      o[NUMERIC[key as keyof typeof NUMERIC]] = Number(raw);
    else if (key === 'broker' && (raw === 'all' || (BROKERS as readonly string[]).includes(raw)))
      brokers = raw === 'all' ? [...BROKERS] : [raw as BrokerKind];
    else if (key === 'profile' && raw) mkdirSync((o.profileDir = resolve(raw)), { recursive: true });
    else if (key === 'stalls' && raw) mkdirSync((o.stallsDir = resolve(raw)), { recursive: true });
    else {
      console.error(
        `bad argument ${args[i]} ${raw}; want --units N --soak-seconds N --broker ${BROKERS.join('|')}|all ` +
          `--${Object.keys(NUMERIC).join(' N --')} N --profile DIR --stalls DIR`,
      );
      process.exit(2);
    }
  }
  if (o.playSeconds >= o.playEverySeconds) {
    console.error('--play-seconds must be shorter than --play-every');
    process.exit(2);
  }
  return { o, brokers };
}

type Row = [label: string, value: (r: FleetResult) => string, pass?: (r: FleetResult) => boolean];

const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '—');
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '—');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '—');
const worst = (xs: number[]) => (xs.length && xs.every(Number.isFinite) ? Math.max(...xs) : NaN);

export const verdicts = (r: FleetResult) => ({
  serverRss: r.serverPeakRssMb <= TARGETS.serverRssMb,
  soakLagP99Whole: r.soak.lagP99WholeMs <= TARGETS.lagP99Ms,
  soakLagP99: r.soak.lagP99Ms <= TARGETS.lagP99Ms,
  soakApiP99: r.soak.api.p99Ms <= TARGETS.apiP99Ms,
  planToAll: worst(r.soak.planChanges.map((c) => c.acknowledgedMs)) <= TARGETS.planToAllMs,
  newBulletinToAll: r.newBulletin.acknowledgedMs <= TARGETS.planToAllMs,
  newBulletinLagP99Whole: r.newBulletin.lagP99WholeMs <= TARGETS.lagP99Ms,
  newBulletinLagP99: r.newBulletin.lagP99Ms <= TARGETS.lagP99Ms,
  newBulletinApiP99: r.newBulletin.api.p99Ms <= TARGETS.apiP99Ms,
  noEventLost: r.events.lost === 0 && r.events.unitsNotAcknowledged === 0,
  noEventDoubled: r.events.doubled === 0 && r.events.unknown === 0,
});
type Verdict = keyof ReturnType<typeof verdicts>;
const v = (k: Verdict) => (r: FleetResult) => verdicts(r)[k];

const ROWS: Row[] = [
  ['load average (1 min), before → after', (r) => `${f1(r.loadBefore)} → ${f1(r.loadAfter)}`],
  ['units created through the API, s', (r) => f1(r.createSeconds)],
  ['units connected, s', (r) => f1(r.connectSeconds)],
  ['then every unit holding plan and media, s', (r) => f1(r.settleSeconds)],
  [`server peak RSS, MB (≤ ${TARGETS.serverRssMb})`, (r) => f0(r.serverPeakRssMb), v('serverRss')],
  ['broker peak RSS, MB', (r) => r.brokers.map((b) => f0(b.peakRssMb)).join(' + ') || 'in the server'],
  ['SOAK: seconds', (r) => f0(r.soak.seconds)],
  [`  event-loop lag p99 over the soak, ms (≤ ${TARGETS.lagP99Ms})`, (r) => wholeLag(r.soak), v('soakLagP99Whole')],
  ['  its samples / share over 50 ms', (r) => lagSamples(r.soak)],
  [`  event-loop lag p99, ms (≤ ${TARGETS.lagP99Ms}), worst 5-s window`, (r) => f1(r.soak.lagP99Ms), v('soakLagP99')],
  ['  lag p99 median window / lag max, ms', (r) => `${f1(r.soak.lagP99MedianMs)} / ${f0(r.soak.lagMaxMs)}`],
  ["  broker thread's lag p99 worst window / max, ms", (r) => brokerThreadLag(r.soak)],
  [`  dashboard API p99, ms (≤ ${TARGETS.apiP99Ms})`, (r) => f1(r.soak.api.p99Ms), v('soakApiP99')],
  [
    '  API p50 ms / requests / failures',
    (r) => `${f1(r.soak.api.p50Ms)} / ${r.soak.api.requests} / ${r.soak.api.failures}`,
  ],
  ['  GET /api/units p50 / p99, ms', (r) => pathFigures(r.soak, '/api/units')],
  ['  GET …/timeline p50 / p99, ms', (r) => pathFigures(r.soak, '/api/communes/default/timeline')],
  [
    `  window moved, acknowledged by all, ms (≤ ${TARGETS.planToAllMs})`,
    (r) => f0(worst(r.soak.planChanges.map((c) => c.acknowledgedMs))),
    v('planToAll'),
  ],
  [
    '  each change: delivered / acknowledged, ms',
    (r) => r.soak.planChanges.map((c) => `${f0(c.deliveredMs)}/${f0(c.acknowledgedMs)}`).join(' '),
  ],
  [
    '  server RSS largest seen / heap used / external / broker thread heap, MB',
    (r) =>
      `${f0(r.soak.serverRssMaxMb)} / ${f0(r.soak.heapUsedMb)} / ${f0(r.soak.externalMb)} / ${f0(r.soak.brokerHeapUsedMb)}`,
  ],
  [
    '  CPU, cores: server / broker',
    (r) => `${f2(r.soak.serverCpuCores)} / ${r.soak.brokerCpuCores.map(f2).join('+') || '—'}`,
  ],
  ['NEW BULLETIN, whole commune: seconds', (r) => f0(r.newBulletin.seconds)],
  [
    `  plan acknowledged by all, ms (≤ ${TARGETS.planToAllMs})`,
    (r) => f0(r.newBulletin.acknowledgedMs),
    v('newBulletinToAll'),
  ],
  [
    '  plan delivered to all / media verified by all, ms',
    (r) => `${f0(r.newBulletin.deliveredMs)} / ${f0(r.newBulletin.mediaMs)}`,
  ],
  [
    `  event-loop lag p99 over the phase, ms (≤ ${TARGETS.lagP99Ms})`,
    (r) => wholeLag(r.newBulletin),
    v('newBulletinLagP99Whole'),
  ],
  [
    `  event-loop lag p99, ms (≤ ${TARGETS.lagP99Ms}), worst window`,
    (r) => f1(r.newBulletin.lagP99Ms),
    v('newBulletinLagP99'),
  ],
  ['  lag max, ms', (r) => f0(r.newBulletin.lagMaxMs)],
  ["  broker thread's lag p99 worst window / max, ms", (r) => brokerThreadLag(r.newBulletin)],
  [`  dashboard API p99, ms (≤ ${TARGETS.apiP99Ms})`, (r) => f1(r.newBulletin.api.p99Ms), v('newBulletinApiP99')],
  [
    '  server RSS largest seen / heap used / external / broker thread heap, MB',
    (r) =>
      `${f0(r.newBulletin.serverRssMaxMb)} / ${f0(r.newBulletin.heapUsedMb)} / ${f0(r.newBulletin.externalMb)} / ${f0(r.newBulletin.brokerHeapUsedMb)}`,
  ],
  [
    '  CPU, cores: server / broker',
    (r) => `${f2(r.newBulletin.serverCpuCores)} / ${r.newBulletin.brokerCpuCores.map(f2).join('+') || '—'}`,
  ],
  ['events sent / stored', (r) => `${r.events.sent} / ${r.events.stored}`],
  ['events lost (= 0)', (r) => String(r.events.lost + r.events.unitsNotAcknowledged), v('noEventLost')],
  ['events doubled (= 0)', (r) => String(r.events.doubled + r.events.unknown), v('noEventDoubled')],
  ['telemetry samples sent', (r) => String(r.telemetrySent)],
  ['units online on the server, fewest seen', (r) => f0(Math.min(r.soak.unitsOnlineMin, r.newBulletin.unitsOnlineMin))],
  ['live-feed messages to the browsers', (r) => String(r.soak.api.feedMessages + r.newBulletin.api.feedMessages)],
  ['CPU of the simulated units (this process), cores', (r) => f2(r.harnessCpuCores)],
  ['messages a unit found wrong', (r) => String(r.bad)],
];

/** An upper bound: the bound of the histogram's bucket that holds the p99 (server-watch.ts). */
function wholeLag(phase: Phase): string {
  const ms = phase.lagP99WholeMs;
  return Number.isNaN(ms) ? '—' : Number.isFinite(ms) ? `≤ ${f0(ms)}` : '> 5000';
}

function lagSamples(phase: Phase): string {
  return `${phase.lagSamples} / ${f2(phase.lagOver50msShare * 100)} %`;
}

function brokerThreadLag(phase: Phase): string {
  return Number.isNaN(phase.brokerThreadLagP99Ms)
    ? '—'
    : `${f1(phase.brokerThreadLagP99Ms)} / ${f0(phase.brokerThreadLagMaxMs)}`;
}

function pathFigures(phase: Phase, path: string): string {
  const p = phase.api.byPath[path];
  return p ? `${f1(p.p50Ms)} / ${f1(p.p99Ms)}` : '—';
}

function printTable(results: FleetResult[]) {
  const width = Math.max(...ROWS.map(([l]) => l.length)) + 2;
  const col = 22;
  console.log(`\n${'broker'.padEnd(width)}${results.map((r) => r.broker.padStart(col)).join('')}`);
  console.log(`${'units'.padEnd(width)}${results.map((r) => String(r.units).padStart(col)).join('')}`);
  for (const [label, value, pass] of ROWS) {
    const cells = results.map((r) => `${value(r)}${pass ? (pass(r) ? ' pass' : ' FAIL') : ''}`.padStart(col));
    console.log(`${label.padEnd(width)}${cells.join('')}`);
  }
  for (const r of results) {
    if (r.badSamples.length) console.log(`${r.broker}: wrong messages, e.g. ${r.badSamples.join('; ')}`);
    const failed = [...r.soak.api.failureSamples, ...r.newBulletin.api.failureSamples];
    if (failed.length) console.log(`${r.broker}: failed API requests, e.g. ${failed.slice(0, 3).join('; ')}`);
  }
  console.log(
    "Lag over a phase is the server's loa_eventloop_delay_seconds histogram (the bound of the p99's bucket); a window's\n" +
      "is prom-client's nodejs_eventloop_lag_p99_seconds over 5 s. Both sample every 10 ms: an idle loop reads ~10 ms.",
  );
  console.log(
    "The control plane's loop is the lag above; the embedded broker's own thread (MQTT_BROKER_THREAD=on) has its row.",
  );
}

export async function main(args: string[]) {
  const { o, brokers } = parseArgs(args);
  const results: FleetResult[] = [];
  const unavailable: Record<string, string> = {};
  for (const broker of brokers) {
    console.log(`\n${broker}: ${o.units} units, ${o.workers} worker threads, soak ${o.soakSeconds} s`);
    try {
      results.push(await runFleet(broker, { ...o, log: (l) => console.log(`[${broker}] ${l}`) }));
    } catch (err) {
      // One broker that cannot run, or fails on the way, does not stop the comparison.
      const why = err instanceof RigUnavailable ? err.message : `failed: ${(err as Error).message}`;
      unavailable[broker] = why;
      console.log(`[${broker}] ${why}`);
      if (!(err instanceof RigUnavailable)) console.error(err);
    }
  }
  if (results.length) printTable(results);
  if (o.mosquittoQueue !== undefined && brokers.includes('mosquitto'))
    console.log(`Mosquitto ran with max_queued_messages ${o.mosquittoQueue} added to the exported configuration.`);
  for (const [b, why] of Object.entries(unavailable)) console.log(`${b}: not run — ${why}`);
  const { log: _log, ...options } = o;
  console.log(
    JSON.stringify({
      bench: 'fleet',
      options,
      targets: TARGETS,
      results: Object.fromEntries([
        ...results.map((r) => [r.broker, { ...r, pass: verdicts(r) }]),
        ...Object.entries(unavailable).map(([b, why]) => [b, { unavailable: why }]),
      ]),
    }),
  );
}
