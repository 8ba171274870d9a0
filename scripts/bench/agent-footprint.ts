// `npm run bench -- agent-footprint [--seconds 60] [--warmup 10] [--tsx]`
// The idle agent's memory and CPU (issue 7: RSS at most 60 MB, CPU under 1 % of a core). A real
// agent process, connected, holding a signed plan with its media cached and items later today,
// telemetry every 30 s and clock probes: a board between two windows. Measured from /proc: VmRSS
// (and its anonymous / file-backed parts: the file part is mostly the node binary's own pages) and
// utime + stime over the window. The agent runs bundled (scripts/install/bundle-agent.ts), as the
// install script puts it on a board; `--tsx` runs the TypeScript through tsx's loader to compare.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { makeSine } from '../../agent/src/testing/audio.js';
import { waitFor } from '../../agent/src/testing/fake-server.js';
import { item, plan } from '../../agent/src/testing/plans.js';
import { startAgentRig, UNIT } from './lib/agent-rig.js';

const TARGET_RSS_MB = 60;
const TARGET_CPU_PERCENT = 1;
/** Clock ticks per second of /proc/PID/stat (USER_HZ, 100 on every Linux a board runs). */
const HZ = 100;

interface Sample {
  rssKb: number;
  anonKb: number;
  fileKb: number;
  ticks: number;
  at: number;
}

function sample(pid: number): Sample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  // Fields 14 and 15 (utime, stime) come after the command name, which may hold spaces.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    rssKb: kb('VmRSS'),
    anonKb: kb('RssAnon'),
    fileKb: kb('RssFile'),
    ticks: Number(fields[11]) + Number(fields[12]),
    at: Date.now(),
  };
}

/** An empty Node process on this machine, for reference: most of its RSS is the node binary. */
async function bareNodeRssMb(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 1500));
  const rss = sample(child.pid!).rssKb;
  child.kill();
  return Math.round((rss / 1024) * 10) / 10;
}

export async function main(args: string[]): Promise<void> {
  const opt = (name: string, fallback: number) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const seconds = opt('seconds', 60);
  const warmup = opt('warmup', 10);
  const mode = args.includes('--tsx') ? 'tsx' : 'bundle';
  const rig = await startAgentRig({ mode, sink: () => 'null' });
  try {
    const media = await makeSine(rig.dir, 2);
    rig.server.media.set(media.ref.sha256, media.bytes);
    const later = Date.now() + 3600_000;
    const items = Array.from({ length: 20 }, (_, i) => item(`later-${i}`, media.ref, later + i * 5000));
    await rig.publishPlan(plan(UNIT, 1, items, { windows: [{ startAt: later - 60_000, endAt: later + 7200_000 }] }));
    await waitFor('the media cached', () => rig.lines.some((l) => /media [0-9a-f]{12} complete/.test(l)), 30_000);
    await new Promise((r) => setTimeout(r, warmup * 1000));

    const pid = rig.child.pid!;
    const first = sample(pid);
    let peak = first;
    for (let s = 0; s < seconds; s++) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = sample(pid);
      if (now.rssKb > peak.rssKb) peak = now;
    }
    const last = sample(pid);
    const cpuPercent = ((last.ticks - first.ticks) / HZ / ((last.at - first.at) / 1000)) * 100;
    const mb = (kb: number) => Math.round((kb / 1024) * 10) / 10;
    const figures = {
      bench: 'agent-footprint',
      mode,
      node: process.version,
      seconds,
      rssMb: mb(last.rssKb),
      peakRssMb: mb(peak.rssKb),
      anonMb: mb(last.anonKb),
      fileMb: mb(last.fileKb),
      cpuPercent: Math.round(cpuPercent * 100) / 100,
      targetRssMb: TARGET_RSS_MB,
      targetCpuPercent: TARGET_CPU_PERCENT,
      withinTarget: peak.rssKb / 1024 <= TARGET_RSS_MB && cpuPercent < TARGET_CPU_PERCENT,
      bareNodeRssMb: await bareNodeRssMb(),
      load1: Math.round(loadavg()[0]! * 100) / 100,
    };
    console.log(`idle agent (${mode}, ${process.version}), ${seconds} s after ${warmup} s of warm-up, plan held:`);
    console.log('  RSS      peak RSS  anon     file     CPU of a core');
    console.log(
      `  ${`${figures.rssMb} MB`.padEnd(9)}${`${figures.peakRssMb} MB`.padEnd(10)}${`${figures.anonMb} MB`.padEnd(9)}${`${figures.fileMb} MB`.padEnd(9)}${figures.cpuPercent} %`,
    );
    console.log(`  (an empty Node process here: ${figures.bareNodeRssMb} MB RSS)`);
    console.log(
      `  targets: RSS ≤ ${TARGET_RSS_MB} MB, CPU < ${TARGET_CPU_PERCENT} %: ${figures.withinTarget ? 'OK' : 'MISSED'}`,
    );
    console.log(JSON.stringify(figures));
  } finally {
    await rig.close();
  }
}
