// `npm run bench -- start-accuracy [--items 50] [--gap-ms 1200] [--media-ms 500] [--sched fifo|nice|none] [--tsx]`
// How exactly a board starts each item (issue 7: within 20 ms of its instant, measured at the
// sink's first sample). A real agent process (bundled, as a board runs it) gets a signed plan of
// N items and plays them into the file sink, whose records carry the instant of each first sample;
// the error is that instant minus the item's planned instant. Prints a table, then one line of JSON.
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { makeSine } from '../../agent/src/testing/audio.js';
import { waitFor } from '../../agent/src/testing/fake-server.js';
import { item, plan } from '../../agent/src/testing/plans.js';
import { DEFAULT_SCHED, percentile, startAgentRig, UNIT, type Sched } from './lib/agent-rig.js';

const TARGET_MS = 20;

export async function main(args: string[]): Promise<void> {
  const opt = (name: string, fallback: number) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const items = opt('items', 50);
  const gapMs = opt('gap-ms', 1200);
  const mediaMs = opt('media-ms', 500);
  const mode = args.includes('--tsx') ? 'tsx' : 'bundle';
  // The agent's scheduling on a board (the systemd unit's CPUSchedulingPolicy=fifo); needs root.
  const at = args.indexOf('--sched');
  const sched = (at >= 0 ? args[at + 1] : DEFAULT_SCHED) as Sched;
  if (!['fifo', 'nice', 'none'].includes(sched)) throw new Error('--sched must be fifo, nice or none');
  // Shared build machines are often busy: without priority, the figures mean little under load.
  const loadAtStart = Math.round(loadavg()[0]! * 100) / 100;
  const rig = await startAgentRig({ mode, sched, sink: (dir) => `file:${join(dir, 'sink')}` });
  try {
    const media = await makeSine(rig.dir, mediaMs / 1000);
    rig.server.media.set(media.ref.sha256, media.bytes);
    const first = Date.now() + 6000;
    const planned = Array.from({ length: items }, (_, i) => item(`i-${i}`, media.ref, first + i * gapMs));
    await rig.publishPlan(plan(UNIT, 1, planned));
    const sinkFile = join(rig.dir, 'sink', 'sink.jsonl');
    const records = await waitFor(
      `${items} items in the sink`,
      async () => {
        const text = await readFile(sinkFile, 'utf8').catch(() => '');
        const lines = text.split('\n').filter(Boolean);
        return lines.length >= items
          ? lines.map((l) => JSON.parse(l) as { itemId: string; startedAt: number })
          : undefined;
      },
      10_000 + items * gapMs + 10_000,
    );
    const errors = planned.map((p) => {
      const rec = records.find((r) => r.itemId === p.id);
      if (!rec) throw new Error(`item ${p.id} never played`);
      return rec.startedAt - p.startAt;
    });
    const abs = errors.map(Math.abs).sort((a, b) => a - b);
    const figures = {
      bench: 'start-accuracy',
      mode,
      sched,
      items,
      p50Ms: percentile(abs, 50),
      p99Ms: percentile(abs, 99),
      maxMs: abs.at(-1)!,
      earliestMs: Math.min(...errors),
      latestMs: Math.max(...errors),
      overTarget: abs.filter((e) => e > TARGET_MS).length,
      targetMs: TARGET_MS,
      withinTarget: abs.at(-1)! <= TARGET_MS,
      load1: { atStart: loadAtStart, atEnd: Math.round(loadavg()[0]! * 100) / 100 },
    };
    console.log(
      `start accuracy of ${items} items (${mode}, scheduling ${sched}, ${mediaMs} ms each, ${gapMs} ms apart)`,
    );
    console.log(`machine load (1 min) ${figures.load1.atStart} at start, ${figures.load1.atEnd} at end`);
    console.log('  |start − instant|   p50     p99     max     over target');
    console.log(
      `                      ${ms(figures.p50Ms)}  ${ms(figures.p99Ms)}  ${ms(figures.maxMs)}  ${figures.overTarget} of ${items} over ${TARGET_MS} ms: ${figures.withinTarget ? 'OK' : 'MISSED'}`,
    );
    console.log(JSON.stringify(figures));
  } finally {
    await rig.close();
  }
}

function ms(v: number): string {
  return `${v} ms`.padEnd(6);
}
