// `npm run bench -- fanout [--units 500,2000] [--minutes 10] [--workers 4] [--want-every 5000]`
// Issue #6 / DESIGN §3: a 10-minute bulletin (~2.4 MB of Opus) to 500 and to 2,000 simulated units
// on the embedded broker over loopback. The server runs as its own process (as `npm start` runs
// it); the units are real MQTT clients in worker processes, each connecting with its own
// credentials, subscribing to the chunk topics, sending `want`, assembling and verifying SHA-256.
// One more client subscribes to the chunks and never asks: it counts what the server published.
// Prints wall seconds until every unit holds a verified copy, the server's CPU seconds, and the
// bytes published (target: about one copy whatever the fleet). Target: 2,000 units within 60 s.
import { fork, type ChildProcess } from 'node:child_process';
import { openAsBlob } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { topics } from '@loa/shared';
import { bulletinMp3 } from './lib/bulletin-audio.js';
import { startServerProcess, type ServerProcess } from './lib/server-process.js';
import { createUnits } from './lib/units.js';

const TARGET_SECONDS = 60;

function parseArgs(args: string[]) {
  const o = { units: [500, 2000], minutes: 10, workers: 4, wantEvery: 5000 };
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i]?.replace(/^--/, '').replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
    const raw = args[i + 1] ?? '';
    if (key === 'units' && /^\d+(,\d+)*$/.test(raw)) o.units = raw.split(',').map(Number);
    else if ((key === 'minutes' || key === 'workers' || key === 'wantEvery') && /^\d+$/.test(raw)) o[key] = Number(raw);
    else {
      console.error(`bad argument ${args[i]} ${raw}; want --units 500,2000 --minutes N --workers N --want-every MS`);
      process.exit(2);
    }
  }
  return o;
}

interface WorkerReport {
  type: string;
  verified: number;
  wantsSent: number;
  bytesReceived: number;
  mismatches: number;
  n?: number;
  message?: string;
}

async function distributionStats(server: ServerProcess) {
  return (
    await server.api.get<{
      bytesPublished: number;
      chunksPublished: number;
      roundsPublished: number;
      wantsReceived: number;
    }>('/api/media/distribution')
  ).body;
}

async function runOnce(n: number, o: ReturnType<typeof parseArgs>, mp3: string) {
  const server = await startServerProcess();
  const workers: ChildProcess[] = [];
  let observer: mqtt.MqttClient | undefined;
  try {
    const form = new FormData();
    form.append('file', await openAsBlob(mp3), 'ban-tin.mp3');
    const up = await server.api.request<{ sha256: string; bytes: number }>('POST', '/api/media', form);
    if (up.status !== 201) throw new Error(`upload: ${up.status} ${JSON.stringify(up.body)}`);
    const media = up.body;
    let t = performance.now();
    const { units } = await createUnits(server.api, n, 'thon');
    const [watch] = (await createUnits(server.api, 1, 'quan-sat')).units;
    const createSeconds = (performance.now() - t) / 1000;

    // Every chunk the server publishes reaches this client exactly once.
    let observed = 0;
    observer = await mqtt.connectAsync(server.mqttUrl, {
      clientId: `loa-unit-${watch!.id}`,
      username: watch!.id,
      password: watch!.secret,
      protocolVersion: 4,
    });
    observer.on('message', (_t, payload) => (observed += payload.length));
    await observer.subscribeAsync(topics.mediaChunks(media.sha256), { qos: 1 });

    const reports = new Map<ChildProcess, WorkerReport>();
    const per = Math.ceil(n / o.workers);
    t = performance.now();
    await Promise.all(
      Array.from({ length: o.workers }, (_, w) => {
        const slice = units.slice(w * per, (w + 1) * per);
        if (slice.length === 0) return Promise.resolve();
        const child = fork(fileURLToPath(new URL('./lib/fanout-worker.ts', import.meta.url)), [], {
          execArgv: ['--import', 'tsx'],
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        workers.push(child);
        return new Promise<void>((resolve, reject) => {
          child.on('message', (m: WorkerReport) => {
            if (m.type === 'connected') resolve();
            else if (m.type === 'error') reject(new Error(m.message));
            else reports.set(child, m);
          });
          child.send({
            type: 'connect',
            url: server.mqttUrl,
            sha256: media.sha256,
            units: slice,
            wantEveryMs: o.wantEvery,
          });
        });
      }),
    );
    const connectSeconds = (performance.now() - t) / 1000;

    const before = await distributionStats(server);
    const cpu0 = server.cpuSeconds();
    t = performance.now();
    for (const w of workers) w.send({ type: 'start' });
    const sum = (k: keyof WorkerReport) => [...reports.values()].reduce((s, r) => s + Number(r[k] ?? 0), 0);
    const deadline = Date.now() + Math.max(180_000, n * 200);
    let lastPrint = 0;
    while (sum('verified') < n) {
      if (Date.now() > deadline) throw new Error(`only ${sum('verified')} of ${n} units verified in time`);
      if (Date.now() - lastPrint > 5000) {
        lastPrint = Date.now();
        process.stdout.write(
          `  ${n} units: ${sum('verified')} verified after ${((performance.now() - t) / 1000).toFixed(1)} s\n`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds = (performance.now() - t) / 1000;
    const cpu = server.cpuSeconds() - cpu0;
    await new Promise((r) => setTimeout(r, 300)); // let a late round, if any, be counted
    const after = await distributionStats(server);
    return {
      units: n,
      mediaBytes: media.bytes,
      seconds,
      serverCpuSeconds: cpu,
      bytesPublished: after.bytesPublished - before.bytesPublished,
      observedBytes: observed,
      rounds: after.roundsPublished - before.roundsPublished,
      wantsReceived: after.wantsReceived - before.wantsReceived,
      bytesReceivedPerUnit: sum('bytesReceived') / n,
      mismatches: sum('mismatches'),
      serverPeakRssMb: server.peakRssMb(),
      createSeconds,
      connectSeconds,
    };
  } finally {
    for (const w of workers) w.send({ type: 'close' });
    await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))));
    await observer?.endAsync(true);
    await server.stop();
  }
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;

export async function main(args: string[]) {
  const o = parseArgs(args);
  process.stdout.write(`Making a ${o.minutes}-minute speech-like MP3 (once)… `);
  const mp3 = bulletinMp3(o.minutes);
  console.log(mp3);
  const results = [];
  for (const n of o.units) {
    console.log(
      `\n${n} units: starting a server, uploading, creating units, connecting ${o.workers} worker processes…`,
    );
    results.push(await runOnce(n, o, mp3));
  }
  console.log(`\n${o.minutes}-minute bulletin to simulated units, embedded broker, loopback\n`);
  console.log(
    ' units   media MB   wall s   server CPU s   published MB   copies   observed MB   rounds   wants   peak RSS MB',
  );
  for (const r of results)
    console.log(
      `${String(r.units).padStart(6)} ${(r.mediaBytes / 1e6).toFixed(2).padStart(10)} ${r.seconds.toFixed(1).padStart(8)} ${r.serverCpuSeconds
        .toFixed(1)
        .padStart(
          14,
        )} ${(r.bytesPublished / 1e6).toFixed(2).padStart(14)} ${(r.bytesPublished / r.mediaBytes).toFixed(2).padStart(8)} ${(
        r.observedBytes / 1e6
      )
        .toFixed(2)
        .padStart(
          13,
        )} ${String(r.rounds).padStart(8)} ${String(r.wantsReceived).padStart(7)} ${String(r.serverPeakRssMb).padStart(13)}`,
    );
  const largest = results[results.length - 1]!;
  const pass =
    largest.seconds <= TARGET_SECONDS &&
    results.every((r) => r.bytesPublished <= 1.5 * r.mediaBytes && r.mismatches === 0);
  console.log(`\n${largest.units} units served in ${largest.seconds.toFixed(1)} s (target ≤ ${TARGET_SECONDS} s)`);
  console.log(
    JSON.stringify({
      bench: 'fanout',
      minutes: o.minutes,
      workers: o.workers,
      results: results.map((r) => ({
        units: r.units,
        mediaBytes: r.mediaBytes,
        seconds: r2(r.seconds),
        serverCpuSeconds: r2(r.serverCpuSeconds),
        bytesPublished: r.bytesPublished,
        copiesPublished: r2(r.bytesPublished / r.mediaBytes),
        observedBytes: r.observedBytes,
        rounds: r.rounds,
        wantsReceived: r.wantsReceived,
        bytesReceivedPerUnit: Math.round(r.bytesReceivedPerUnit),
        mismatches: r.mismatches,
        serverPeakRssMb: r.serverPeakRssMb,
        connectSeconds: r1(r.connectSeconds),
      })),
      targetSeconds: TARGET_SECONDS,
      pass,
    }),
  );
}
