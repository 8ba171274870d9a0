// The brokers the fleet benchmark compares on the same work (issue #10, DESIGN §8): the server's
// embedded aedes; an external Mosquitto on the configuration the server exports (MQTT_URL, the
// password and ACL files kept current by the server, as scripts/broker/README.md describes); and
// two aedes broker nodes sharing their state through Redis.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMosquitto } from '../../broker/mosquitto-process.js';
import { startServerProcess, type ServerProcess } from './server-process.js';

export const BROKERS = ['embedded', 'mosquitto', 'cluster'] as const;
export type BrokerKind = (typeof BROKERS)[number];

export interface Rig {
  kind: BrokerKind;
  server: ServerProcess;
  /** Where units connect: one URL, or one per broker node (units are spread over them). */
  unitUrls: string[];
  /** Broker processes apart from the server, whose memory and CPU count too. */
  brokers: Array<{ name: string; pid: number }>;
  /** What an external broker logged that may explain a failure (warnings, dropped messages). */
  brokerNotes?(): string[];
  stop(): Promise<void>;
}

/** A broker this checkout cannot run yet: the benchmark says so and goes on with the others. */
export class RigUnavailable extends Error {}

export interface RigOptions {
  /** Extra Node options for the server (a CPU profile). */
  nodeArgs?: string[];
  /**
   * Mosquitto's `max_queued_messages` (per client, default 1000), set after the exported
   * configuration: the control plane's one connection receives every unit's messages.
   */
  mosquittoQueue?: number;
}

export async function startRig(kind: BrokerKind, opts: RigOptions = {}): Promise<Rig> {
  const nodeArgs = opts.nodeArgs ?? [];
  if (kind === 'embedded') {
    const server = await startServerProcess({}, nodeArgs);
    return { kind, server, unitUrls: [server.mqttUrl], brokers: [], stop: () => server.stop() };
  }
  if (kind === 'mosquitto') return startWithMosquitto(nodeArgs, opts.mosquittoQueue);
  return startWithCluster(nodeArgs);
}

async function startWithMosquitto(nodeArgs: string[], queue: number | undefined): Promise<Rig> {
  // Configured with the real `broker:export` CLI, as an operator would (and as the tests do).
  const dataDir = mkdtempSync(join(tmpdir(), 'loa-bench-mosquitto-'));
  const login = { username: 'loa-server', password: randomBytes(24).toString('base64url') };
  const mosquitto = await startMosquitto(dataDir, login, queue === undefined ? '' : `max_queued_messages ${queue}\n`);
  try {
    const server = await startServerProcess(
      {
        DATA_DIR: dataDir,
        MQTT_URL: mosquitto.url,
        MQTT_USERNAME: login.username,
        MQTT_PASSWORD: login.password,
        MQTT_EXPORT_DIR: mosquitto.exportDir,
        MQTT_RELOAD_PID_FILE: mosquitto.pidFile,
      },
      nodeArgs,
    );
    return {
      kind: 'mosquitto',
      server,
      unitUrls: [mosquitto.url],
      brokers: [{ name: 'mosquitto', pid: mosquitto.child.pid! }],
      brokerNotes: () => [
        ...new Set(
          mosquitto
            .log()
            .split('\n')
            .filter((l) => /warn|error|drop/i.test(l))
            .map((l) => l.replace(/^\d+: /, '').replace(/loa-unit-[\w-]+|thon-\d+/g, '…')),
        ),
      ],
      async stop() {
        await server.stop();
        await mosquitto.stop();
      },
    };
  } catch (err) {
    await mosquitto.stop();
    throw err;
  }
}

// Issue #10's broker-only mode: two aedes nodes sharing subscriptions, retained messages and
// sessions through Redis (scripts/broker/README.md). The control plane joins node 1 (MQTT_URL) and
// writes the units' credentials to Redis (REDIS_URL); the units are spread over both nodes, so a
// plan published through node 1 reaches half of them through node 2. Processes are started by
// broker-node.ts, imported by URL so that this file does not depend on it being there.
interface BrokerNodes {
  startRedis(): Promise<{ url: string; child: { pid?: number }; stop(): Promise<void> }>;
  startBrokerNode(opts: { redisUrl: string }): Promise<{
    url: string;
    child: { pid?: number };
    stop(): Promise<unknown>;
  }>;
}

async function startWithCluster(nodeArgs: string[]): Promise<Rig> {
  const module = new URL('./broker-node.ts', import.meta.url);
  if (!existsSync(fileURLToPath(module)))
    throw new RigUnavailable('the broker-only node mode is not in this checkout (scripts/bench/lib/broker-node.ts)');
  const { startRedis, startBrokerNode } = (await import(module.href)) as BrokerNodes;
  const redis = await startRedis();
  const nodes: Array<Awaited<ReturnType<BrokerNodes['startBrokerNode']>>> = [];
  const stopAll = async () => {
    for (const n of nodes) await n.stop();
    await redis.stop();
  };
  try {
    for (let i = 0; i < 2; i++) nodes.push(await startBrokerNode({ redisUrl: redis.url }));
    const server = await startServerProcess({ REDIS_URL: redis.url, MQTT_URL: nodes[0]!.url }, nodeArgs);
    return {
      kind: 'cluster',
      server,
      unitUrls: nodes.map((n) => n.url),
      brokers: [
        ...nodes.map((n, i) => ({ name: `node ${i + 1}`, pid: n.child.pid! })),
        { name: 'redis', pid: redis.child.pid! },
      ],
      async stop() {
        await server.stop();
        await stopAll();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
