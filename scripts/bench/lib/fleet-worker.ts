// A worker thread of the fleet benchmark (scripts/bench/fleet.ts): it holds its share of simulated
// units (fleet-unit.ts), each a real MQTT client, and answers the main thread's requests for what
// they have seen. Plays start on every unit of every worker at the same wall-clock instants, as a
// commune's units all start the same item together.
import { parentPort } from 'node:worker_threads';
import { keyIdOf, publicKeyFromPem } from '@loa/shared/envelope';
import { FleetUnit, zeroCounters, type UnitCounters } from './fleet-unit.js';
import { inParallel, type UnitLogin } from './units.js';

export interface FleetTiming {
  telemetryEveryMs: number;
  wantEveryMs: number;
  eventsResendMs: number;
  timeProbeEveryMs: number;
}

export type WorkerRequest =
  | { type: 'connect'; urls: string[]; serverKeyPem: string; units: UnitLogin[]; timing: FleetTiming }
  | { type: 'plays'; everyMs: number; playMs: number }
  | { type: 'stop-plays' }
  | { type: 'report'; id: number; planSince?: number; media?: string }
  | { type: 'close' };

export interface WorkerReport {
  units: number;
  connected: number;
  counters: UnitCounters;
  /** Units holding a plan issued at or after `planSince`, and the last instant one arrived. */
  planned: number;
  plannedLastAt: number;
  /** Units holding `media`, and the last instant one was verified. */
  holding: number;
  holdingLastAt: number;
  plays: number;
  eventsLastSeq: Record<string, number>;
  /** Units with events not yet acknowledged. */
  unacked: number;
  bad: number;
  badSamples: string[];
}

export type WorkerMessage =
  | { type: 'connected'; n: number }
  | { type: 'report'; id: number; report: WorkerReport }
  | { type: 'error'; message: string }
  | { type: 'closed' };

const port = parentPort!;
const send = (m: WorkerMessage) => port.postMessage(m);
let units: FleetUnit[] = [];
let bad = 0;
const badSamples: string[] = [];
let plays = 0;
let playTimer: NodeJS.Timeout | undefined;

async function connectAll(req: Extract<WorkerRequest, { type: 'connect' }>) {
  const key = publicKeyFromPem(req.serverKeyPem);
  const keys = new Map([[keyIdOf(key), key]]);
  units = req.units.map(
    (u, i) =>
      new FleetUnit({
        // Spread over the broker nodes given (one URL but for a cluster).
        url: req.urls[i % req.urls.length]!,
        unit: u.id,
        secret: u.secret,
        keys,
        ...req.timing,
        onBad: (reason) => {
          bad++;
          if (badSamples.length < 5) badSamples.push(reason);
        },
      }),
  );
  await inParallel(units, 25, (u) => u.connect());
  send({ type: 'connected', n: units.length });
}

function startPlays(everyMs: number, playMs: number) {
  const tick = () => {
    for (const u of units) if (u.play(playMs)) plays++;
  };
  // On the wall clock's boundaries, so every worker plays at the same instant.
  playTimer = setTimeout(
    () => {
      tick();
      playTimer = setInterval(tick, everyMs);
    },
    everyMs - (Date.now() % everyMs),
  );
}

function report(req: Extract<WorkerRequest, { type: 'report' }>): WorkerReport {
  const counters = zeroCounters();
  const r: WorkerReport = {
    units: units.length,
    connected: 0,
    counters,
    planned: 0,
    plannedLastAt: 0,
    holding: 0,
    holdingLastAt: 0,
    plays,
    eventsLastSeq: {},
    unacked: 0,
    bad,
    badSamples,
  };
  for (const u of units) {
    if (u.connected) r.connected++;
    for (const k of Object.keys(counters) as Array<keyof UnitCounters>) counters[k] += u.counters[k];
    if (req.planSince !== undefined && u.plan && u.plan.issuedAt >= req.planSince) {
      r.planned++;
      r.plannedLastAt = Math.max(r.plannedLastAt, u.planReceivedAt);
    }
    const held = req.media ? u.held.get(req.media) : undefined;
    if (held !== undefined) {
      r.holding++;
      r.holdingLastAt = Math.max(r.holdingLastAt, held);
    }
    if (u.seq > 0) r.eventsLastSeq[u.unitId] = u.seq;
    if (u.ackedUpTo < u.seq) r.unacked++;
  }
  return r;
}

port.on('message', (req: WorkerRequest) => {
  if (req.type === 'connect') connectAll(req).catch((err: Error) => send({ type: 'error', message: err.message }));
  else if (req.type === 'plays') startPlays(req.everyMs, req.playMs);
  else if (req.type === 'stop-plays') clearTimeout(playTimer);
  else if (req.type === 'report') send({ type: 'report', id: req.id, report: report(req) });
  else if (req.type === 'close') {
    clearTimeout(playTimer);
    void inParallel(units, 200, (u) => u.close()).finally(() => send({ type: 'closed' }));
  }
});
