// The dashboard's side of the fleet benchmark, in its own worker thread so that its timings do not
// wait behind the simulated units: a few signed-in people reading what the web app's dashboard
// reads (web/src/screens/dashboard, web/src/data), one request after another with a short pause,
// and browsers holding the live feed (/api/ws) open, as an operator's screen does all day.
import { parentPort } from 'node:worker_threads';
import WebSocket from 'ws';
import { ApiClient } from '../../../server/src/testing/api-client.js';

/** What the dashboard screen loads, and reloads on the live feed's events. */
export const DASHBOARD_PATHS = [
  '/api/units',
  '/api/alerts?state=raised',
  '/api/communes',
  '/api/communes/default/timeline',
  '/api/zones?communeId=default',
] as const;

export type LoadRequest =
  | {
      type: 'start';
      base: string;
      username: string;
      password: string;
      users: number;
      browsers: number;
      pauseMs: number;
    }
  /** What was measured since the previous lap; `stop` also ends the load. */
  | { type: 'lap' }
  | { type: 'stop' };

export interface LoadResult {
  /** Milliseconds per request, by path. */
  latencies: Record<string, number[]>;
  failures: number;
  failureSamples: string[];
  /** Live-feed messages and bytes the browsers received. */
  feedMessages: number;
  feedBytes: number;
}

export type LoadMessage =
  { type: 'started' } | { type: 'result'; result: LoadResult } | { type: 'error'; message: string };

const port = parentPort!;
let running = true;
const fresh = (): LoadResult => ({ latencies: {}, failures: 0, failureSamples: [], feedMessages: 0, feedBytes: 0 });
let result = fresh();
const sockets: WebSocket[] = [];
const loops: Promise<void>[] = [];

async function signIn(base: string, username: string, password: string): Promise<ApiClient> {
  const api = new ApiClient(base);
  await api.login(username, password);
  return api;
}

async function person(api: ApiClient, pauseMs: number, offset: number): Promise<void> {
  for (let i = offset; running; i++) {
    const path = DASHBOARD_PATHS[i % DASHBOARD_PATHS.length]!;
    const t = performance.now();
    try {
      const res = await api.fetchRaw(path);
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      (result.latencies[path] ??= []).push(performance.now() - t);
    } catch (err) {
      result.failures++;
      if (result.failureSamples.length < 5) result.failureSamples.push((err as Error).message);
    }
    await new Promise((r) => setTimeout(r, pauseMs));
  }
}

async function browser(api: ApiClient, base: string): Promise<void> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/ws`, { headers: { cookie: api.cookie } });
  sockets.push(ws);
  ws.on('message', (data: Buffer) => {
    result.feedMessages++;
    result.feedBytes += data.length;
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
}

port.on('message', (req: LoadRequest) => {
  if (req.type === 'start') {
    void (async () => {
      const people = await Promise.all(
        Array.from({ length: req.users + req.browsers }, () => signIn(req.base, req.username, req.password)),
      );
      await Promise.all(people.slice(req.users).map((api) => browser(api, req.base)));
      people.slice(0, req.users).forEach((api, i) => loops.push(person(api, req.pauseMs, i)));
      port.postMessage({ type: 'started' } satisfies LoadMessage);
    })().catch((err: Error) => port.postMessage({ type: 'error', message: err.message } satisfies LoadMessage));
  } else if (req.type === 'lap') {
    port.postMessage({ type: 'result', result } satisfies LoadMessage);
    result = fresh();
  } else {
    running = false;
    void Promise.all(loops).then(() => {
      for (const ws of sockets) ws.close();
      port.postMessage({ type: 'result', result } satisfies LoadMessage);
    });
  }
});
