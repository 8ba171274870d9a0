// The library behind the broker nodes' persistence sends some Redis commands without waiting for
// them (a will's place in the list of wills, a stale offline message). With Redis gone, each such
// command rejects a promise nobody holds, and Node ends the process on an unhandled rejection:
// a broker node must outlive a Redis outage (it retries), so those are taken in hand here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../broker/cluster.js';
import { startRedis, type RedisProcess } from '../testing/redis.js';
import { unhandledRejectionsDuring } from '../testing/unhandled.js';
import { RedisPersistence } from './persistence.js';

const quiet = { warn: () => undefined };
/** What setup() needs of aedes: an id, and subscriptions that take at once. */
const broker = {
  id: 'node-test',
  subscribe: (_topic: string, _fn: unknown, done: () => void) => done(),
  unsubscribe: (_topic: string, _fn: unknown, done: () => void) => done(),
  publish: (_packet: unknown, done: () => void) => done(),
};

describe('the broker nodes’ Redis persistence', () => {
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => redis?.stop());

  it('keeps a will, and with Redis gone fails the call without an unhandled rejection', async () => {
    const store = await connectRedis(redis.url, 'persistence-test', quiet, 0);
    const persistence = new RedisPersistence({ conn: store });
    await persistence.setup(broker);
    const client = { id: 'loa-unit-thon-a' };
    const will = {
      cmd: 'publish',
      topic: 'loa/v1/units/thon-a/status',
      payload: Buffer.from('{}'),
      qos: 1,
      retain: true,
    };
    await persistence.putWill(client, will);
    expect((await persistence.getWill(client))?.topic).toBe(will.topic);

    const unhandled = await unhandledRejectionsDuring(async () => {
      store.disconnect();
      await expect(persistence.putWill(client, will)).rejects.toThrow(/closed/i);
      await expect(persistence.delWill({ ...client, brokerId: broker.id })).rejects.toThrow(/closed/i);
    });
    expect(unhandled).toEqual([]);
  });
});
