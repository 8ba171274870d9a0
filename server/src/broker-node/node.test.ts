// A broker node in this process on a real Redis (issue #10): retained messages found through the
// topic index exactly as the library itself finds them, an index rebuilt for messages stored
// without it, and sign-ins checked against what the control plane mirrored — refused, not let
// through, while Redis cannot answer.
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_KEYS, sha256Hex } from '../broker/cluster.js';
import { SERVER_USERNAME } from '../broker/embedded.js';
import { loopbackNodeConfig } from '../testing/broker-node.js';
import { startRedis, type RedisProcess } from '../testing/redis.js';
import { unhandledRejectionsDuring } from '../testing/unhandled.js';
import { waitFor } from '../testing/wait.js';
import { startBrokerNode, type BrokerNode } from './node.js';
import { RedisPersistence } from './persistence.js';

const require = createRequire(import.meta.url);
type Retained = { topic: string; payload: Buffer };
const Library = require('aedes-persistence-redis/asyncPersistence.js') as new (opts: { conn: Redis }) => {
  storeRetained(p: object): Promise<void>;
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<Retained>;
};

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const packet = (topic: string, payload = 'x') => ({
  cmd: 'publish',
  topic,
  payload: Buffer.from(payload),
  qos: 1,
  retain: true,
  dup: false,
});
const topicsOf = async (stream: AsyncIterable<unknown>) => {
  const out: string[] = [];
  for await (const p of stream) out.push((p as Retained).topic);
  return out.sort();
};

const level = fc.constantFrom('loa', 'v1', 'units', 'a', 'b', 'plan', 'status', '');
const topic = fc.array(level, { minLength: 1, maxLength: 5 }).map((l) => l.join('/'));
const filter = fc
  .array(fc.oneof(level, fc.constant('+')), { minLength: 1, maxLength: 5 })
  .chain((l) => fc.boolean().map((hash) => (hash ? [...l, '#'] : l).join('/')));

describe('a broker node', () => {
  let redis: RedisProcess;
  let db: Redis;
  let node: BrokerNode | undefined;
  const clients: MqttClient[] = [];
  const start = () => startBrokerNode(loopbackNodeConfig(redis.url), quiet);
  const connect = async (username: string, password: string, clientId = `loa-unit-${username}`) => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${node!.port}`, {
      username,
      password,
      clientId,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    redis = await startRedis();
    db = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    db.on('error', () => undefined);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await node?.close();
    db?.disconnect();
    await redis?.stop();
  });

  it('finds retained messages under any filter exactly as the library’s own scan does', async () => {
    const ours = new RedisPersistence({ conn: db });
    const theirs = new Library({ conn: db });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(topic, { maxLength: 20 }),
        fc.array(filter, { minLength: 1, maxLength: 6 }),
        fc.subarray(['cleared'], {}),
        async (topics, filters, clear) => {
          await db.flushdb();
          for (const t of topics) await ours.storeRetained(packet(t));
          // A cleared topic (empty payload) leaves the index too.
          if (clear.length && topics[0] !== undefined) await ours.storeRetained(packet(topics[0], ''));
          for (const f of [...filters, '#', '+']) {
            expect(await topicsOf(ours.createRetainedStreamCombi([f])), f).toEqual(
              await topicsOf(theirs.createRetainedStreamCombi([f])),
            );
          }
          // Overlapping filters: the library yields a message once per filter that matches it,
          // ours once (one SUBSCRIBE, one copy of each retained message); the same messages.
          expect(await topicsOf(ours.createRetainedStreamCombi(filters))).toEqual([
            ...new Set(await topicsOf(theirs.createRetainedStreamCombi([...filters]))),
          ]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('indexes, when it starts, retained messages stored without the index, and serves them', async () => {
    await db.flushdb();
    const library = new Library({ conn: db });
    for (const u of ['thon-a', 'thon-b']) await library.storeRetained(packet(`loa/v1/units/${u}/status`, u));
    await library.storeRetained(packet('loa/v1/units/thon-a/plan', 'plan'));
    await db.set(CLUSTER_KEYS.serverSecret, sha256Hex('server-pw'));
    node = await start();
    const server = await connect(SERVER_USERNAME, 'server-pw', 'loa-server-test');
    const got: string[] = [];
    server.on('message', (t, p, pkt) => pkt.retain && got.push(`${t}=${p.toString()}`));
    await server.subscribeAsync('loa/v1/units/+/status', { qos: 1 });
    await waitFor('both statuses', () => (got.length === 2 ? true : undefined), 5000);
    expect(got.sort()).toEqual(['loa/v1/units/thon-a/status=thon-a', 'loa/v1/units/thon-b/status=thon-b']);
  });

  it('lets a unit in by the hash in Redis, refuses any other secret, and disconnects it when asked', async () => {
    await db.hset(CLUSTER_KEYS.unitSecrets, 'thon-a', sha256Hex('secret-a'));
    await expect(connect('thon-a', 'secret-b')).rejects.toThrow(/bad username or password/i);
    await expect(connect('thon-b', 'secret-a')).rejects.toThrow(/bad username or password/i);
    await expect(connect('thon-a', 'secret-a', 'loa-unit-thon-b')).rejects.toThrow(/bad username or password/i);
    await expect(connect(SERVER_USERNAME, 'secret-a', 'loa-server-x')).rejects.toThrow(/bad username or password/i);
    const unit = await connect('thon-a', 'secret-a');
    const closed = new Promise<void>((r) => unit.once('close', () => r()));
    await db.xadd(CLUSTER_KEYS.disconnects, '*', 'unit', 'thon-a');
    await closed;
  });

  it('refuses sign-ins while Redis cannot answer, and lets units in again once it is back', async () => {
    await redis.stop();
    await expect(connect('thon-a', 'secret-a')).rejects.toThrow(/server unavailable/i);
    redis = await startRedis({ port: redis.port }); // empty: as the control plane would, mirror again
    await waitFor('Redis again', async () => ((await db.ping().catch(() => '')) === 'PONG' ? true : undefined));
    await db.hset(CLUSTER_KEYS.unitSecrets, 'thon-a', sha256Hex('secret-a'));
    const unit = await waitFor('the unit let in', () => connect('thon-a', 'secret-a').catch(() => undefined), 10_000);
    expect(unit.connected).toBe(true);
  });
});

describe('a broker node closing while Redis stops answering', () => {
  it('closes when Redis dies with its QUIT on the wire, without an unhandled rejection', async () => {
    const redis = await startRedis();
    const node = await startBrokerNode(loopbackNodeConfig(redis.url), quiet);
    try {
      const unhandled = await unhandledRejectionsDuring(async () => {
        // Frozen, Redis reads the QUITs but never answers; killed, it closes their sockets, and
        // ioredis rejects each QUIT still waiting ("Connection is closed."). The fan-out's own
        // connections sent theirs without holding the promise.
        redis.child.kill('SIGSTOP');
        const closed = node.close();
        await new Promise((r) => setTimeout(r, 300));
        redis.child.kill('SIGKILL');
        await closed;
      });
      expect(unhandled).toEqual([]);
    } finally {
      await redis.stop();
    }
  });
});
