// `npm run bench -- ingest [--minutes 10] [--runs 3]`
// Issue #6: a 10-minute speech-like MP3 to loudness-normalized mono 48 kHz Opus (32 kb/s) by the
// server's own pipeline (server/src/media/normalize.ts: one ebur128 measuring decode, one encode
// with one gain and a limiter, the stored file measured), against the same file through
// (a) the naive two-pass `loudnorm` (measure, then normalize: loudnorm works at 192 kHz) and
// (b) a bare transcode with no normalization — same encoder settings, one thread each, in turns.
// Targets: at least 2× faster than (a), at most 1.5× the time of (b). Prints a table, then JSON.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { findFfmpeg, type FfmpegTools } from '../../server/src/media/ffmpeg.js';
import { measure } from '../../server/src/media/loudness.js';
import { normalizeToStore, opusArgs, type Recipe } from '../../server/src/media/normalize.js';
import { bulletinMp3 } from './lib/bulletin-audio.js';

const RECIPE: Recipe = { loudnessTarget: -16, truePeakCeiling: -1.5, content: 'speech', kbps: 32 };
const ONE_THREAD = ['-threads', '1', '-filter_threads', '1'];

function parseArgs(args: string[]) {
  const o = { minutes: 10, runs: 3 };
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i]?.replace(/^--/, '') as keyof typeof o;
    const value = Number(args[i + 1]);
    if (!(key in o) || !Number.isFinite(value) || value <= 0) {
      console.error(`bad argument ${args[i]} ${args[i + 1] ?? ''}; want --minutes N --runs N`);
      process.exit(2);
    }
    o[key] = value;
  }
  return o;
}

function ffmpeg(tools: FfmpegTools, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(tools.ffmpeg, ['-hide_banner', '-nostdin', '-nostats', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stderr) : reject(new Error(`ffmpeg failed: ${stderr.slice(-400)}`)),
    );
  });
}

/** (a) The textbook way: loudnorm measures, then loudnorm normalizes with the measured values. */
async function naiveLoudnorm(tools: FfmpegTools, input: string, out: string) {
  const target = `I=${RECIPE.loudnessTarget}:TP=${RECIPE.truePeakCeiling}:LRA=11`;
  const first = await ffmpeg(tools, [
    ...ONE_THREAD,
    '-i',
    input,
    '-af',
    `loudnorm=${target}:print_format=json`,
    '-f',
    'null',
    '-',
  ]);
  const json = JSON.parse(first.slice(first.lastIndexOf('{'), first.lastIndexOf('}') + 1)) as Record<string, string>;
  const measured =
    `measured_I=${json.input_i}:measured_TP=${json.input_tp}:measured_LRA=${json.input_lra}` +
    `:measured_thresh=${json.input_thresh}:offset=${json.target_offset}:linear=true`;
  await ffmpeg(tools, [
    ...ONE_THREAD,
    '-i',
    input,
    '-af',
    `loudnorm=${target}:${measured},aresample=48000`,
    '-ac',
    '1',
    ...opusArgs(RECIPE),
    '-f',
    'ogg',
    '-y',
    out,
  ]);
}

/** (b) Decode, downmix, resample, encode: no measuring, no gain. */
async function bare(tools: FfmpegTools, input: string, out: string) {
  await ffmpeg(tools, [
    ...ONE_THREAD,
    '-i',
    input,
    '-ac',
    '1',
    '-ar',
    '48000',
    ...opusArgs(RECIPE),
    '-f',
    'ogg',
    '-y',
    out,
  ]);
}

/** CPU seconds used so far by this process's finished children (ffmpeg), from /proc/self/stat. */
function childCpuSeconds(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100; // cutime + cstime, in clock ticks
  } catch {
    return NaN;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;

export async function main(args: string[]) {
  const o = parseArgs(args);
  const tools = findFfmpeg();
  if (!tools) throw new Error('ffmpeg is needed: sudo apt-get install ffmpeg');
  process.stdout.write(`Making a ${o.minutes}-minute speech-like MP3 (once)… `);
  const input = bulletinMp3(o.minutes);
  const seconds = o.minutes * 60;
  console.log(input);
  const work = mkdtempSync(join(tmpdir(), 'loa-bench-ingest-'));
  const times = { ours: [] as number[], naive: [] as number[], bare: [] as number[] };
  const cpu = { ours: [] as number[], naive: [] as number[], bare: [] as number[] };
  const timed = async (key: keyof typeof times, fn: () => Promise<unknown>) => {
    const c = childCpuSeconds();
    const t = performance.now();
    const result = await fn();
    times[key].push((performance.now() - t) / 1000);
    cpu[key].push(childCpuSeconds() - c);
    return result;
  };
  let encodes = 0;
  let oursFile = '';
  try {
    for (let run = 0; run < o.runs; run++) {
      const result = (await timed('ours', () =>
        normalizeToStore(tools, input, join(work, `ours-${run}`), RECIPE, {
          maxSeconds: 4 * 3600,
          declaredMs: undefined,
        }),
      )) as Awaited<ReturnType<typeof normalizeToStore>>;
      encodes = result.encodes.length;
      oursFile = join(work, `ours-${run}`, `${result.sha256}.ogg`);
      await timed('naive', () => naiveLoudnorm(tools, input, join(work, 'naive.ogg')));
      await timed('bare', () => bare(tools, input, join(work, 'bare.ogg')));
      console.log(
        `run ${run + 1}/${o.runs}: ours ${r1(times.ours[run]!)} s, loudnorm ${r1(times.naive[run]!)} s, bare ${r1(times.bare[run]!)} s`,
      );
    }
    const [ours, naive, plain] = await Promise.all(
      [oursFile, join(work, 'naive.ogg'), join(work, 'bare.ogg')].map((f) => measure(tools, f)),
    );
    const rows = [
      { method: 'ours: ebur128 + gain/limiter in the encode', s: median(times.ours), c: median(cpu.ours), m: ours! },
      { method: '(a) naive two-pass loudnorm', s: median(times.naive), c: median(cpu.naive), m: naive! },
      { method: '(b) bare transcode, no normalization', s: median(times.bare), c: median(cpu.bare), m: plain! },
    ];
    console.log(`\n${o.minutes}-minute MP3 → mono 48 kHz Opus 32 kb/s, median of ${o.runs} runs\n`);
    console.log('method                                          seconds  ×realtime  CPU s  output LUFS  true peak');
    for (const r of rows)
      console.log(
        `${r.method.padEnd(46)} ${r1(r.s).toFixed(1).padStart(8)} ${r1(seconds / r.s)
          .toFixed(1)
          .padStart(
            10,
          )} ${r1(r.c).toFixed(1).padStart(6)} ${r.m.integratedLufs.toFixed(1).padStart(12)} ${r.m.peakDb.toFixed(1).padStart(10)}`,
      );
    const speedup = median(times.naive) / median(times.ours);
    const overBare = median(times.ours) / median(times.bare);
    const cpuOverBare = median(cpu.ours) / median(cpu.bare);
    console.log(
      `\nours is ${speedup.toFixed(2)}× faster than (a) (target ≥ 2) and takes ${overBare.toFixed(2)}× the time of (b) ` +
        `(target ≤ 1.5), ${cpuOverBare.toFixed(2)}× its CPU (the output is measured by a second ffmpeg decoding it as it ` +
        `is written); ${encodes} encode pass(es)`,
    );
    console.log(
      JSON.stringify({
        bench: 'ingest',
        audioSeconds: seconds,
        runs: o.runs,
        ours: {
          seconds: r2(median(times.ours)),
          cpuSeconds: r2(median(cpu.ours)),
          xRealtime: r1(seconds / median(times.ours)),
          encodes,
          lufs: ours!.integratedLufs,
          truePeak: ours!.peakDb,
        },
        naiveLoudnorm: {
          seconds: r2(median(times.naive)),
          cpuSeconds: r2(median(cpu.naive)),
          xRealtime: r1(seconds / median(times.naive)),
          lufs: naive!.integratedLufs,
          truePeak: naive!.peakDb,
        },
        bareTranscode: {
          seconds: r2(median(times.bare)),
          cpuSeconds: r2(median(cpu.bare)),
          xRealtime: r1(seconds / median(times.bare)),
          lufs: plain!.integratedLufs,
          truePeak: plain!.peakDb,
        },
        speedupVsNaive: r2(speedup),
        ratioVsBare: r2(overBare),
        cpuRatioVsBare: r2(cpuOverBare),
        targets: { speedupVsNaive: 2, ratioVsBare: 1.5 },
        pass: speedup >= 2 && overBare <= 1.5,
      }),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
