// Starts a whole agent (the real Controller) against a test broker, with a file sink and a log
// kept in memory, in a fresh data dir.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_VERSION, type AgentConfig } from '../config/config.js';
import { Controller, type ControllerOptions, type Tuning } from '../controller.js';
import { memoryLogger } from '../log.js';
import type { SinkRecord } from '../player/sinks/file-sink.js';

export interface TestAgent {
  controller: Controller;
  log: ReturnType<typeof memoryLogger>;
  dataDir: string;
  sinkDir: string;
  /** The file relay's switches, `{on, at}` per line. */
  relayFile: string;
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
  config?: Partial<AgentConfig>;
  controller?: Pick<ControllerOptions, 'storeFs' | 'system' | 'clock' | 'relay'>;
}): Promise<TestAgent> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'loa-agent-')));
  const sinkDir = opts.sinkDir ?? join(dataDir, 'sink');
  const relayFile = join(dataDir, 'relay.jsonl');
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
      relay: `file:${relayFile}`,
      warmupMs: 3000,
      rebootCommand: 'false',
      cacheQuotaMb: 1024,
      lowDiskMb: 1,
      ...opts.config,
    },
    log,
    ffmpeg: opts.ffmpeg,
    tuning: { ...FAST, ...opts.tuning },
    ...opts.controller,
  });
  await controller.start();
  return { controller, log, dataDir, sinkDir, relayFile, stop: () => controller.stop() };
}

/** The relay switches so far. */
export async function relaySwitches(agent: TestAgent): Promise<{ on: boolean; at: number }[]> {
  const text = await readFile(agent.relayFile, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { on: boolean; at: number });
}

/** The lines the file sink wrote so far. */
export async function sinkRecords(agent: TestAgent): Promise<SinkRecord[]> {
  const text = await readFile(join(agent.sinkDir, 'sink.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SinkRecord);
}
