// What the control plane and the broker nodes share in Redis (DESIGN §8, issue #10). The nodes
// check every MQTT sign-in against these keys, so they keep letting units in while the control
// plane is down; the control plane is the only writer, from its SQLite (the truth).
//
// Only hashes are kept: a unit's secret as the SHA-256 the units table holds (256 random bits, so a
// fast hash is the right one: units.secrets.ts), the server's broker password the same way.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Redis } from 'ioredis';
import { redact } from '../config.js';

export const CLUSTER_KEYS = {
  /** Hash: unit id → SHA-256 hex of its current secret. A revoked unit has no field. */
  unitSecrets: 'loa:broker:unit-secrets',
  /** String: SHA-256 hex of the server's own broker password (fresh on every control-plane start). */
  serverSecret: 'loa:broker:server-secret',
  /**
   * Stream of `{unit}` entries: disconnect this unit now (revoked or rotated). A stream rather than
   * pub/sub, so a node that lost Redis for a moment reads what it missed; and pub/sub channels are
   * mqemitter-redis's (a `#` subscription becomes the Redis pattern `*`, which would match ours).
   */
  disconnects: 'loa:broker:disconnects',
} as const;

/** Entries kept in the disconnect stream: plenty for a node's reconnect, bounded for ever after. */
export const DISCONNECTS_KEPT = 10_000;

export function sha256Hex(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** True when `secret` hashes to `hash` (a SHA-256 hex), compared in constant time. */
export function matchesHash(secret: string, hash: string | null | undefined): boolean {
  if (!hash) return false;
  const a = Buffer.from(sha256Hex(secret), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Connects to Redis and checks it answers, or fails with a message an operator can act on. Later
 * outages are retried for ever (ioredis's own backoff). A command fails after `retries` reconnect
 * attempts (3 by default, about a third of a second: a sign-in or an HTTP request must not wait
 * longer for an answer that is not coming).
 */
export async function connectRedis(
  url: string,
  name: string,
  log: { warn(obj: object, msg: string): void },
  retries = 3,
): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectionName: name,
    maxRetriesPerRequest: retries,
    connectTimeout: 5000,
  });
  // Once per outage, not once per retry (every ioredis reconnect attempt emits the same error).
  let last = '';
  redis.on('error', (err: Error) => {
    if (err.message !== last) log.warn({ err: err.message, redis: name }, 'redis: connection failed');
    last = err.message;
  });
  redis.on('ready', () => (last = ''));
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    // The socket's own error (ECONNREFUSED, a wrong password) says more than "Connection is closed".
    throw new Error(`cannot reach Redis at ${redact(url)}: ${last || (err as Error).message}`);
  }
  return redis;
}
