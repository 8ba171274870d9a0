// `npm run bench -- emergency [--units 1000] [--workers 4] [--runs 3]`
// Issue #8: from the API call (POST /api/emergency, whole commune) to every simulated unit reporting
// `started`. The server runs as its own process (as `npm start` runs it) with its embedded broker;
// the units are real MQTT clients in worker processes, each with its own credentials, verifying the
// signed command (Ed25519, DESIGN §7), acknowledging it and publishing a `started` event.
// Prints p50/p99/max per run; target: p99 at most 1 s on this machine.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openAsBlob } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServerProcess } from './lib/server-process.js';
import { createUnits } from './lib/units.js';

const TARGET_P99_MS = 1000;

function parseArgs(args: string[]) {
  const o = { units: 1000, workers: 4, runs: 3 };
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i]?.replace(/^--/, '');
    const raw = args[i + 1] ?? '';
    if ((key === 'units' || key === 'workers' || key === 'runs') && /^\d+$/.test(raw) && Number(raw) > 0)
      o[key] = Number(raw);
    else {
      console.error(`bad argument ${args[i]} ${raw}; want --units N --workers N --runs N`);
      process.exit(2);
    }
  }
  return o;
}

type WorkerMessage =
  | { type: 'connected'; n: number }
  | { type: 'started'; unit: string; at: number }
  | { type: 'bad'; reason: string }
  | { type: 'error'; message: string };

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

export async function main(args: string[]) {
  const o = parseArgs(args);
  const dir = mkdtempSync(join(tmpdir(), 'loa-bench-emergency-'));
  const wav = join(dir, 'canh-bao.wav');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=880:duration=5', '-y', wav]);
  console.log(`Starting a server, creating ${o.units} units, connecting ${o.workers} worker processes…`);
  const server = await startServerProcess();
  const workers: ChildProcess[] = [];
  let bad = 0;
  const badReasons = new Set<string>();
  let starts = new Map<string, number>();
  try {
    const form = new FormData();
    form.append('file', await openAsBlob(wav), 'canh-bao.wav');
    const up = await server.api.request<{ sha256: string }>('POST', '/api/media', form);
    if (up.status !== 201) throw new Error(`upload: ${up.status} ${JSON.stringify(up.body)}`);
    const { units, serverKeyPem: key } = await createUnits(server.api, o.units, 'thon');
    const per = Math.ceil(units.length / o.workers);
    await Promise.all(
      Array.from({ length: o.workers }, (_, w) => {
        const slice = units.slice(w * per, (w + 1) * per);
        if (!slice.length) return Promise.resolve();
        const child = fork(fileURLToPath(new URL('./lib/emergency-worker.ts', import.meta.url)), [], {
          execArgv: ['--import', 'tsx'],
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        workers.push(child);
        return new Promise<void>((resolve, reject) => {
          child.on('message', (m: WorkerMessage) => {
            if (m.type === 'connected') resolve();
            else if (m.type === 'error') reject(new Error(m.message));
            else if (m.type === 'started') starts.set(m.unit, m.at);
            else if (m.type === 'bad') {
              bad++;
              badReasons.add(m.reason);
            }
          });
          child.send({ type: 'connect', url: server.mqttUrl, serverKeyPem: key, units: slice });
        });
      }),
    );
    // Let the server see every unit online (retained status is not needed by the units here).
    await new Promise((r) => setTimeout(r, 1000));

    const results: Array<{ run: number; p50: number; p99: number; max: number; apiMs: number; started: number }> = [];
    for (let run = 1; run <= o.runs; run++) {
      starts = new Map();
      const t0 = Date.now();
      const res = await server.api.post<{ id: string; units: unknown[] }>('/api/emergency', {
        communeId: 'default',
        content: { sha256: up.body.sha256 },
        targets: { commune: true },
        repeat: 1,
        volume: 100,
        validSeconds: 60,
      });
      const apiMs = Date.now() - t0;
      if (res.status !== 201) throw new Error(`emergency: ${res.status} ${JSON.stringify(res.body)}`);
      const deadline = Date.now() + 30_000;
      while (starts.size < units.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      if (starts.size < units.length)
        throw new Error(`only ${starts.size} of ${units.length} units started within 30 s`);
      const lat = [...starts.values()].map((at) => at - t0).sort((a, b) => a - b);
      results.push({ run, p50: pct(lat, 50), p99: pct(lat, 99), max: lat.at(-1)!, apiMs, started: starts.size });
      await new Promise((r) => setTimeout(r, 1000));
    }

    console.log(`\nEmergency to ${o.units} simulated units (whole commune), embedded broker, loopback\n`);
    console.log('  run   started   API answer ms   p50 ms   p99 ms   max ms');
    for (const r of results)
      console.log(
        `${String(r.run).padStart(5)} ${String(r.started).padStart(9)} ${String(r.apiMs).padStart(15)} ${String(r.p50).padStart(8)} ${String(r.p99).padStart(8)} ${String(r.max).padStart(8)}`,
      );
    const worstP99 = Math.max(...results.map((r) => r.p99));
    console.log(
      `\ntarget p99 ≤ ${TARGET_P99_MS} ms: ${worstP99 <= TARGET_P99_MS ? 'met' : 'NOT met'} (worst run ${worstP99} ms); bad commands: ${bad}${badReasons.size ? ` (${[...badReasons].slice(0, 3).join('; ')})` : ''}`,
    );
    console.log(
      JSON.stringify({
        bench: 'emergency',
        units: o.units,
        runs: results,
        p50Ms: Math.max(...results.map((r) => r.p50)),
        p99Ms: worstP99,
        maxMs: Math.max(...results.map((r) => r.max)),
        targetP99Ms: TARGET_P99_MS,
        met: worstP99 <= TARGET_P99_MS,
        badCommands: bad,
      }),
    );
  } finally {
    for (const w of workers) w.send({ type: 'close' });
    await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))));
    await server.stop();
  }
}
