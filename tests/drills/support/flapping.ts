// Measuring what a flapping unit costs the server (issue #10). The link is cut every few seconds;
// meanwhile the dashboard API is asked every 200 ms, as a technician's browser does, and the
// server's own figures are read from its /metrics in calm and flapping half-periods in turn.
import { expect } from 'vitest';
import type { ApiClient } from '../../../server/src/testing/api-client.js';

export const FLAP_EVERY_MS = 2500;
export const FLAPS = 5;

/**
 * What "does not harm the others" means, with bounds that a shared 2-core CI machine does not trip
 * but a real harm does:
 * - the dashboard stays usable: every API answer within 1 s (past which a person stops feeling the
 *   page keep up), half of them within 50 ms (a few ms on an idle machine);
 * - the server does no real work for a unit coming and going: its CPU while the link flaps is at
 *   most 30% above the same load's CPU while it does not (measured: 0.9 to 1.15 times). Calm and
 *   flapping halves alternate so that other processes on the machine weigh on both alike; the
 *   event-loop lag, which they inflate (its p99 reached 100 ms here with no flapping at all), is
 *   only reported. 100 ms of blocking on each status message of the flapping units showed as
 *   +57% to +65% CPU;
 * - an event of the other units is acknowledged within 2 s of being made: the store takes a few
 *   ms, and an event lost on the way would wait for its unit's next resend round, every 5 s.
 */
const BOUNDS = { apiMaxMs: 1000, apiMedianMs: 50, flapCpuRatio: 1.3, ackMaxMs: 2000 };

export interface FlapMeasure {
  flaps: number;
  /** The measured period, epoch ms. */
  from: number;
  to: number;
  /** API answer times, ms, sorted. */
  answers: number[];
  calmCores: number;
  flapCores: number;
  lagMaxMs: { calm: number[]; flap: number[] };
  bounds: typeof BOUNDS;
}

/** The server's CPU seconds so far, and its event-loop lag since the last scrape (prom-client resets it). */
async function serverFigures(base: string): Promise<{ at: number; cpuS: number; lagMaxMs: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  return {
    at: performance.now(),
    cpuS: read('process_cpu_seconds_total'),
    lagMaxMs: Math.round(read('nodejs_eventloop_lag_max_seconds') * 1000),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls `cut` FLAPS times, FLAP_EVERY_MS apart, measuring the server throughout. */
export async function measureFlapping(api: ApiClient, unitId: string, cut: () => void): Promise<FlapMeasure> {
  const from = Date.now();
  const answers: number[] = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const t = performance.now();
      const res = await api.get(`/api/units/${unitId}`);
      if (res.status !== 200) throw new Error(`GET /api/units/${unitId}: ${res.status}`);
      answers.push(performance.now() - t);
      await sleep(200);
    }
  })();
  const calm = { cpuS: 0, s: 0, lag: [] as number[] };
  const flap = { cpuS: 0, s: 0, lag: [] as number[] };
  const add = (to: typeof calm, a: Awaited<ReturnType<typeof serverFigures>>, b: typeof a) => {
    to.cpuS += b.cpuS - a.cpuS;
    to.s += (b.at - a.at) / 1000;
    to.lag.push(b.lagMaxMs);
  };
  try {
    let mark = await serverFigures(api.base);
    for (let i = 0; i < FLAPS; i++) {
      await sleep(FLAP_EVERY_MS / 2);
      const cutAt = await serverFigures(api.base);
      add(calm, mark, cutAt);
      cut();
      await sleep(FLAP_EVERY_MS / 2);
      mark = await serverFigures(api.base);
      add(flap, cutAt, mark);
    }
  } finally {
    probing = false;
    await probe;
  }
  return {
    flaps: FLAPS,
    from,
    to: Date.now(),
    answers: answers.sort((a, b) => a - b),
    calmCores: calm.cpuS / calm.s,
    flapCores: flap.cpuS / flap.s,
    lagMaxMs: { calm: calm.lag, flap: flap.lag },
    bounds: BOUNDS,
  };
}

/** The server stayed responsive, and the flapping cost it nothing worth measuring. */
export function flapBounds(m: FlapMeasure): void {
  const median = m.answers[m.answers.length >> 1]!;
  const seen = JSON.stringify({
    calmCores: m.calmCores,
    flapCores: m.flapCores,
    lagMaxMs: m.lagMaxMs,
    apiMedianMs: median,
    apiMaxMs: m.answers.at(-1),
  });
  expect(m.answers.length, seen).toBeGreaterThan(m.flaps * 8);
  expect(m.answers.at(-1), seen).toBeLessThanOrEqual(BOUNDS.apiMaxMs);
  expect(median, seen).toBeLessThanOrEqual(BOUNDS.apiMedianMs);
  expect(m.flapCores, seen).toBeLessThanOrEqual(m.calmCores * BOUNDS.flapCpuRatio);
}
