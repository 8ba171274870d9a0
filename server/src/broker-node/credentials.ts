// A broker node checks sign-ins against what the control plane mirrored into Redis
// (../broker/cluster-mirror.ts), so units keep getting in while the control plane is down, and
// follows the control plane's requests to disconnect a unit whose secret changed.
import type { Redis } from 'ioredis';
import { CLUSTER_KEYS, matchesHash } from '../broker/cluster.js';

export function redisCredentials(redis: Redis) {
  return {
    verifyUnit: async (unit: string, secret: string) =>
      matchesHash(secret, await redis.hget(CLUSTER_KEYS.unitSecrets, unit)),
    verifyServer: async (password: string) => matchesHash(password, await redis.get(CLUSTER_KEYS.serverSecret)),
  };
}

type StreamReply = Array<[string, Array<[string, string[]]>]> | null;

/**
 * Reads the disconnect stream from its end as it is now, and calls `onUnit` for every entry after
 * it. `redis` must be a connection of its own: a blocking read holds it. After an outage it goes
 * on from the last entry it read, so nothing sent meanwhile is missed.
 */
export async function followDisconnects(
  redis: Redis,
  onUnit: (unit: string) => void,
  log: { warn(obj: object, msg: string): void },
): Promise<{ stop(): void }> {
  const newest = await redis.xrevrange(CLUSTER_KEYS.disconnects, '+', '-', 'COUNT', 1);
  let last = newest[0]?.[0] ?? '0-0';
  let stopped = false;
  void (async () => {
    while (!stopped) {
      try {
        const reply = (await redis.xread('BLOCK', 10_000, 'STREAMS', CLUSTER_KEYS.disconnects, last)) as StreamReply;
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            last = id;
            const i = fields.indexOf('unit');
            if (i >= 0 && fields[i + 1]) onUnit(fields[i + 1]!);
          }
        }
      } catch (err) {
        if (stopped) return;
        log.warn({ err: (err as Error).message }, 'broker node: cannot read the disconnect requests; retrying');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  })();
  return {
    stop() {
      stopped = true;
      redis.disconnect();
    },
  };
}
