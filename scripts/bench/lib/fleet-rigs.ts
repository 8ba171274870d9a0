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
  stop(): Promise<void>;
}

/** A broker this checkout cannot run yet: the benchmark says so and goes on with the others. */
export class RigUnavailable extends Error {}

export async function startRig(kind: BrokerKind, nodeArgs: string[] = []): Promise<Rig> {
  if (kind === 'embedded') {
    const server = await startServerProcess({}, nodeArgs);
    return { kind, server, unitUrls: [server.mqttUrl], brokers: [], stop: () => server.stop() };
  }
  if (kind === 'mosquitto') return startWithMosquitto(nodeArgs);
  return startWithCluster();
}

async function startWithMosquitto(nodeArgs: string[]): Promise<Rig> {
  // Configured with the real `broker:export` CLI, as an operator would (and as the tests do).
  const dataDir = mkdtempSync(join(tmpdir(), 'loa-bench-mosquitto-'));
  const login = { username: 'loa-server', password: randomBytes(24).toString('base64url') };
  const mosquitto = await startMosquitto(dataDir, login);
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

// Issue #10's broker-only mode (two aedes nodes on Redis) is being built beside this benchmark;
// it plugs in here once scripts/bench/lib/broker-node.ts starts such a node.
async function startWithCluster(): Promise<Rig> {
  const module = fileURLToPath(new URL('./broker-node.ts', import.meta.url));
  if (!existsSync(module))
    throw new RigUnavailable(
      'the broker-only node mode is not in this checkout yet (scripts/bench/lib/broker-node.ts)',
    );
  throw new RigUnavailable('scripts/bench/lib/broker-node.ts exists but is not wired into the fleet benchmark yet');
}
