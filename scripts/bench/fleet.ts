// `npm run bench -- fleet [--units 5000] [--soak-seconds 90] [--broker embedded|mosquitto|cluster|all]
//   [--workers 4] [--telemetry-seconds 10] [--play-every 30] [--play-seconds 10] [--plan-change-every 60]
//   [--api-users 2] [--api-pause-ms 500] [--browsers 1] [--profile DIR]`
// Issue #10: a province's fleet on one machine. The server runs as its own process (as `npm start`
// runs it); N simulated units speak the real protocol from a few worker threads (fleet-unit.ts):
// their own credentials and will, retained status, telemetry, signed plans verified and
// acknowledged, media wanted and fetched, play events numbered and acknowledged. During the soak
// plans change for every unit, and people read the dashboard from another thread. Prints the
// figures against the targets, brokers side by side, then one line of JSON.
// `--soak-seconds 600` is the 10-minute soak; `--profile DIR` writes the server's CPU profile.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { BROKERS, RigUnavailable, type BrokerKind } from './lib/fleet-rigs.js';
import { runFleet, type FleetOptions, type FleetResult } from './lib/fleet-run.js';

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
    else {
      console.error(
        `bad argument ${args[i]} ${raw}; want --units N --soak-seconds N --broker ${BROKERS.join('|')}|all ` +
          `--${Object.keys(NUMERIC).join(' N --')} N --profile DIR`,
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

export const verdicts = (r: FleetResult) => ({
  serverRss: r.serverPeakRssMb <= TARGETS.serverRssMb,
  lagP99: r.lagP99Ms <= TARGETS.lagP99Ms,
  apiP99: r.api.p99Ms <= TARGETS.apiP99Ms,
  planToAll: r.planToAllMs <= TARGETS.planToAllMs,
  noEventLost: r.events.lost === 0 && r.events.unitsNotAcknowledged === 0,
  noEventDoubled: r.events.doubled === 0 && r.events.unknown === 0,
});

const ROWS: Row[] = [
  ['load average (1 min), before → after soak', (r) => `${f1(r.loadBefore)} → ${f1(r.loadAfter)}`],
  ['units created through the API, s', (r) => f1(r.createSeconds)],
  ['units connected, s', (r) => f1(r.connectSeconds)],
  ['every unit holding plan and media, s', (r) => f1(r.settleSeconds)],
  ['soak, s', (r) => f0(r.soakSeconds)],
  [`server peak RSS, MB (≤ ${TARGETS.serverRssMb})`, (r) => f0(r.serverPeakRssMb), (r) => verdicts(r).serverRss],
  ['broker peak RSS, MB', (r) => r.brokers.map((b) => f0(b.peakRssMb)).join(' + ') || 'in the server'],
  [
    `event-loop lag p99, ms (≤ ${TARGETS.lagP99Ms}), worst 5-s window`,
    (r) => f1(r.lagP99Ms),
    (r) => verdicts(r).lagP99,
  ],
  ['event-loop lag p99, median window / max, ms', (r) => `${f1(r.lagP99MedianMs)} / ${f0(r.lagMaxMs)}`],
  [`dashboard API p99, ms (≤ ${TARGETS.apiP99Ms})`, (r) => f1(r.api.p99Ms), (r) => verdicts(r).apiP99],
  ['dashboard API p50 ms / requests / failures', (r) => `${f1(r.api.p50Ms)} / ${r.api.requests} / ${r.api.failures}`],
  ['GET /api/units p99, ms', (r) => f1(r.api.byPath['/api/units']?.p99Ms ?? NaN)],
  ['live feed messages to the browsers', (r) => String(r.feedMessages)],
  [
    `plan change to all, acknowledged, ms (≤ ${TARGETS.planToAllMs}), worst`,
    (r) => f0(r.planToAllMs),
    (r) => verdicts(r).planToAll,
  ],
  [
    'plan changes: delivered / acknowledged, ms',
    (r) => r.planChanges.map((c) => `${f0(c.deliveredMs)}/${f0(c.acknowledgedMs)}`).join(' '),
  ],
  ['new media verified by every unit, ms', (r) => f0(r.mediaToAllMs)],
  ['events sent / stored', (r) => `${r.events.sent} / ${r.events.stored}`],
  ['events lost (= 0)', (r) => String(r.events.lost + r.events.unitsNotAcknowledged), (r) => verdicts(r).noEventLost],
  ['events doubled (= 0)', (r) => String(r.events.doubled + r.events.unknown), (r) => verdicts(r).noEventDoubled],
  ['telemetry samples sent', (r) => String(r.telemetrySent)],
  ['units online on the server, fewest seen', (r) => f0(r.unitsOnlineMin)],
  [
    'CPU, cores: server / broker / simulated units',
    (r) =>
      `${f2(r.serverCpuCores)} / ${r.brokers.map((b) => f2(b.cpuCores)).join('+') || '—'} / ${f2(r.harnessCpuCores)}`,
  ],
  ['messages a unit found wrong', (r) => String(r.bad)],
];

function printTable(results: FleetResult[]) {
  const width = Math.max(...ROWS.map(([l]) => l.length)) + 2;
  const col = 22;
  console.log(`\n${'broker'.padEnd(width)}${results.map((r) => r.broker.padStart(col)).join('')}`);
  console.log(`${'units'.padEnd(width)}${results.map((r) => String(r.units).padStart(col)).join('')}`);
  for (const [label, value, pass] of ROWS) {
    const cells = results.map((r) => `${value(r)}${pass ? (pass(r) ? ' pass' : ' FAIL') : ''}`.padStart(col));
    console.log(`${label.padEnd(width)}${cells.join('')}`);
  }
  for (const r of results) if (r.badSamples.length) console.log(`${r.broker}: e.g. ${r.badSamples.join('; ')}`);
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
      if (!(err instanceof RigUnavailable)) throw err;
      unavailable[broker] = err.message;
      console.log(`[${broker}] skipped: ${err.message}`);
    }
  }
  if (results.length) printTable(results);
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
