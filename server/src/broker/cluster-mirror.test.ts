// The control plane's mirror of credentials for broker nodes (issue #10), against a real Redis and
// a real SQLite: what the nodes read is exactly what the units table says, a change reaches Redis
// with its disconnect request, and a Redis that was down (or came back empty) is made whole again.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db/database.js';
import { startRedis, type RedisProcess } from '../testing/redis.js';
import { waitFor } from '../testing/wait.js';
import { revokeUnitSecret, storeUnitSecret } from '../units/units.secrets.js';
import { CLUSTER_KEYS, matchesHash, sha256Hex } from './cluster.js';
import { startCredentialMirror, type CredentialMirror } from './cluster-mirror.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('the credential mirror for broker nodes', () => {
  let redis: RedisProcess;
  let db: Db;
  let mirror: CredentialMirror;
  let probe: Redis;
  const disconnects = async () =>
    (await probe.xrange(CLUSTER_KEYS.disconnects, '-', '+')).map(([, fields]) => fields[1]);

  beforeAll(async () => {
    redis = await startRedis();
    db = openDatabase(join(mkdtempSync(join(tmpdir(), 'loa-mirror-')), 'loa.db'));
    db.prepare(
      "INSERT INTO communes (id, name, time_zone, windows, created_at) VALUES ('x', 'X', 'UTC', '[]', 0)",
    ).run();
    const add = db.prepare(
      "INSERT INTO units (id, commune_id, name, secret_hash, created_at) VALUES (?, 'x', ?, ?, 0)",
    );
    add.run('thon-a', 'A', sha256Hex('secret-a'));
    add.run('thon-b', 'B', sha256Hex('secret-b'));
    add.run('thon-c', 'C', sha256Hex('secret-c'));
    revokeUnitSecret(db, 'thon-c');
    mirror = await startCredentialMirror({ redisUrl: redis.url, db, serverPassword: 'server-pw', log: quiet });
    probe = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    probe.on('error', () => undefined);
    await probe.connect();
  });
  afterAll(async () => {
    probe?.disconnect();
    await mirror?.close();
    await redis?.stop();
  });

  it('puts every active unit’s hash and the server’s in Redis, and no revoked unit', async () => {
    expect(await probe.hgetall(CLUSTER_KEYS.unitSecrets)).toEqual({
      'thon-a': sha256Hex('secret-a'),
      'thon-b': sha256Hex('secret-b'),
    });
    expect(matchesHash('server-pw', await probe.get(CLUSTER_KEYS.serverSecret))).toBe(true);
    expect(matchesHash('server-pw2', await probe.get(CLUSTER_KEYS.serverSecret))).toBe(false);
  });

  it('mirrors a rotation and a revocation, each with a request to disconnect the unit', async () => {
    storeUnitSecret(db, 'thon-a', 'secret-a2', true);
    await mirror.unitChanged('thon-a');
    revokeUnitSecret(db, 'thon-b');
    await mirror.unitChanged('thon-b');
    expect(await probe.hgetall(CLUSTER_KEYS.unitSecrets)).toEqual({ 'thon-a': sha256Hex('secret-a2') });
    expect(await disconnects()).toEqual(['thon-a', 'thon-b']);
  });

  it('makes a Redis that came back empty whole again, with the change it missed and its disconnect', async () => {
    await redis.stop();
    // Re-enrolled while Redis is down: the request does not hang, and SQLite keeps the change.
    storeUnitSecret(db, 'thon-c', 'secret-c2', false);
    const started = Date.now();
    await mirror.unitChanged('thon-c');
    expect(Date.now() - started).toBeLessThan(5000);

    redis = await startRedis({ port: redis.port });
    await waitFor('the mirror written again', async () =>
      (await probe.hlen(CLUSTER_KEYS.unitSecrets).catch(() => 0)) === 2 ? true : undefined,
    );
    expect(await probe.hgetall(CLUSTER_KEYS.unitSecrets)).toEqual({
      'thon-a': sha256Hex('secret-a2'),
      'thon-c': sha256Hex('secret-c2'),
    });
    expect(matchesHash('server-pw', await probe.get(CLUSTER_KEYS.serverSecret))).toBe(true);
    expect(await disconnects()).toEqual(['thon-c']);
  });
});
