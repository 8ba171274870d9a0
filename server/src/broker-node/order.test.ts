// Messages through two broker nodes arrive, every one, exactly once (issue #10). Found by the
// fleet benchmark on the cluster: statuses that Redis held never reached the server. aedes stamps
// each message with its node's counter on arrival, but a retained one waits for its Redis write
// before it is fanned out, so a later message overtook it; the receiver took the earlier one for a
// duplicate and dropped it. A burst of retained statuses and plain events from many units, some on
// each node, must all reach the control plane's client on node 1.
import { Redis } from 'ioredis';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '@loa/shared';
import { CLUSTER_KEYS, sha256Hex } from '../broker/cluster.js';
import { SERVER_USERNAME } from '../broker/embedded.js';
import { loopbackNodeConfig } from '../testing/broker-node.js';
import { startRedis, type RedisProcess } from '../testing/redis.js';
import { waitFor } from '../testing/wait.js';
import { startBrokerNode, type BrokerNode } from './node.js';

const UNITS = 24;
const ROUNDS = 15;
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('two broker nodes under a burst', () => {
  let redis: RedisProcess;
  let db: Redis;
  const nodes: BrokerNode[] = [];
  const clients: MqttClient[] = [];

  const connect = async (node: BrokerNode, username: string, password: string, clientId: string) => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${node.port}`, {
      username,
      password,
      clientId,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    redis = await startRedis();
    db = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    const config = loopbackNodeConfig(redis.url);
    nodes.push(await startBrokerNode(config, quiet), await startBrokerNode(config, quiet));
    await db.set(CLUSTER_KEYS.serverSecret, sha256Hex('server-pw'));
    for (let i = 0; i < UNITS; i++) await db.hset(CLUSTER_KEYS.unitSecrets, `thon-${i}`, sha256Hex(`secret-${i}`));
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await Promise.all(nodes.map((n) => n.close()));
    db?.disconnect();
    await redis?.stop();
  });

  it('delivers every retained and plain QoS 1 message of a burst exactly once to a subscriber on the other node', async () => {
    const server = await connect(nodes[0]!, SERVER_USERNAME, 'server-pw', 'loa-server-test');
    const got = new Map<string, number>();
    server.on('message', (_topic, payload) => {
      const key = payload.toString();
      got.set(key, (got.get(key) ?? 0) + 1);
    });
    // Overlapping filters: the guard that drops a copy matched twice must still hold.
    await server.subscribeAsync(['loa/v1/units/+/status', 'loa/v1/units/+/events', 'loa/v1/units/#'], { qos: 1 });
    // Most units on node 2, the far side of Redis; a few on node 1 beside the subscriber.
    const units = await Promise.all(
      Array.from({ length: UNITS }, (_, i) =>
        connect(nodes[i % 4 === 0 ? 0 : 1]!, `thon-${i}`, `secret-${i}`, `loa-unit-thon-${i}`),
      ),
    );
    const sent: string[] = [];
    const acked: Array<Promise<unknown>> = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (const [i, c] of units.entries()) {
        // Not awaited one by one: the messages go out as fast as the sockets take them, as a
        // fleet coming back does, and each node stamps them in the order they arrive.
        const status = `status ${i}/${r}`;
        const event = `event ${i}/${r}`;
        sent.push(status, event);
        acked.push(c.publishAsync(topics.status(`thon-${i}`), status, { qos: 1, retain: true }));
        acked.push(c.publishAsync(topics.events(`thon-${i}`), event, { qos: 1 }));
      }
    }
    await Promise.all(acked);
    await waitFor('every message', () => (got.size === sent.length ? true : undefined), 5000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300)); // a second copy would come right behind the first
    const missing = sent.filter((m) => !got.has(m));
    expect(missing, `${missing.length} of ${sent.length} lost`).toEqual([]);
    expect([...got].filter(([, n]) => n !== 1)).toEqual([]);
  }, 20_000);
});
