// Starts a whole agent (the real Controller) against a test broker, with a file sink and a log
// kept in memory, in a fresh data dir.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_VERSION } from '../config/config.js';
import { Controller, type Tuning } from '../controller.js';
import { memoryLogger } from '../log.js';
import type { SinkRecord } from '../player/sinks/file-sink.js';

export interface TestAgent {
  controller: Controller;
  log: ReturnType<typeof memoryLogger>;
  dataDir: string;
  sinkDir: string;
  stop(): Promise<void>;
}

export const FAST: Tuning = {
  prepareLeadMs: 1000,
  wantIntervalMs: 400,
  eventsResendMs: 500,
  minBackoffMs: 100,
  maxBackoffMs: 400,
};

export async function startAgent(opts: {
  url: string;
  unit: string;
  secret: string;
  pemPath: string;
  dataDir?: string;
  sinkDir?: string;
  ffmpeg?: string | null;
  tuning?: Tuning;
}): Promise<TestAgent> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'loa-agent-')));
  const sinkDir = opts.sinkDir ?? join(dataDir, 'sink');
  const log = memoryLogger();
  const controller = new Controller({
    config: {
      version: CONFIG_VERSION,
      server: opts.url,
      unit: opts.unit,
      secret: opts.secret,
      dataDir,
      sink: `file:${sinkDir}`,
      serverKey: opts.pemPath,
      telemetryIntervalS: 30,
    },
    log,
    ffmpeg: opts.ffmpeg,
    tuning: { ...FAST, ...opts.tuning },
  });
  await controller.start();
  return { controller, log, dataDir, sinkDir, stop: () => controller.stop() };
}

/** The lines the file sink wrote so far. */
export async function sinkRecords(agent: TestAgent): Promise<SinkRecord[]> {
  const text = await readFile(join(agent.sinkDir, 'sink.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SinkRecord);
}
