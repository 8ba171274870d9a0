// The control plane's side of broker nodes (issue #10): it mirrors the units' secret hashes and its
// own broker password's hash from SQLite into Redis, where every node checks sign-ins, and asks
// every node to disconnect a unit whose secret was rotated or revoked. SQLite stays the truth: the
// whole mirror is written again on every (re)connect to Redis, and a change Redis did not take is
// sent again then, disconnect included.
import type { Db } from '../db/database.js';
import { CLUSTER_KEYS, DISCONNECTS_KEPT, connectRedis, sha256Hex } from './cluster.js';

export interface CredentialMirror {
  /** A unit's secret was created, rotated or revoked: mirror it and disconnect the unit everywhere. */
  unitChanged(unit: string): Promise<void>;
  close(): Promise<void>;
}

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export async function startCredentialMirror(opts: {
  redisUrl: string;
  db: Db;
  serverPassword: string;
  log: Log;
}): Promise<CredentialMirror> {
  const { db, log } = opts;
  const redis = await connectRedis(opts.redisUrl, 'loa-control-plane', log);
  const activeSecrets = db.prepare("SELECT id, secret_hash FROM units WHERE revoked_at IS NULL AND secret_hash <> ''");
  const oneSecret = db.prepare(
    "SELECT secret_hash FROM units WHERE id = ? AND revoked_at IS NULL AND secret_hash <> ''",
  );
  /** Units whose change Redis has not confirmed yet: sent again, with their disconnect, on reconnect. */
  const pending = new Set<string>();

  const disconnect = (m: ReturnType<typeof redis.multi>, unit: string) =>
    m.xadd(CLUSTER_KEYS.disconnects, 'MAXLEN', '~', DISCONNECTS_KEPT, '*', 'unit', unit);

  // Read and queued in one tick: Redis runs the commands of one connection in the order they were
  // sent, so a later change (a revocation) can never be overwritten by an earlier full copy.
  async function mirrorAll(): Promise<void> {
    const rows = activeSecrets.all() as Array<{ id: string; secret_hash: string }>;
    const resent = [...pending];
    const m = redis.multi().del(CLUSTER_KEYS.unitSecrets);
    if (rows.length) m.hset(CLUSTER_KEYS.unitSecrets, Object.fromEntries(rows.map((r) => [r.id, r.secret_hash])));
    m.set(CLUSTER_KEYS.serverSecret, sha256Hex(opts.serverPassword));
    for (const unit of resent) disconnect(m, unit);
    await m.exec();
    for (const unit of resent) pending.delete(unit);
    log.info(
      { units: rows.length, resent: resent.length },
      'broker: credentials mirrored to Redis for the broker nodes',
    );
  }

  await mirrorAll();
  // 'ready' again means Redis came back (or restarted empty): write everything once more.
  redis.on('ready', () => {
    mirrorAll().catch((err: Error) => log.error({ err: err.message }, 'broker: could not mirror credentials to Redis'));
  });

  return {
    async unitChanged(unit) {
      pending.add(unit);
      const row = oneSecret.get(unit) as { secret_hash: string } | undefined;
      const m = redis.multi();
      if (row) m.hset(CLUSTER_KEYS.unitSecrets, unit, row.secret_hash);
      else m.hdel(CLUSTER_KEYS.unitSecrets, unit);
      disconnect(m, unit);
      try {
        await m.exec();
        pending.delete(unit);
      } catch (err) {
        // SQLite has the change; the nodes get it as soon as Redis is back (mirrorAll above).
        log.error({ err: (err as Error).message, unit }, 'broker: Redis did not take a unit credential change yet');
      }
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
