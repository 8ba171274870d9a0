// Configuration for an external Mosquitto (DESIGN §8: "can export a Mosquitto password/ACL
// configuration"): a password file in Mosquitto's own `$7$` format (PBKDF2-SHA512, as
// `mosquitto_passwd` writes it), an ACL file made from the same table as the embedded broker's
// rules (acl.ts), and a mosquitto.conf that uses them. The unit secrets themselves are never stored,
// so each unit's `$7$` hash is made when its secret is (creation, rotation) and kept beside the
// SHA-256 the embedded broker checks.
import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOPIC_PREFIX } from '@loa/shared';
import type { Db } from '../db/database.js';
import { UNIT_ACL } from './acl.js';

/** Mosquitto 2.0's defaults for `$7$`: 101 iterations, 12 bytes of salt, 64 bytes of hash. */
const ITERATIONS = 101;

export function mosquittoPasswordHash(password: string, salt = randomBytes(12), iterations = ITERATIONS): string {
  const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function verifyMosquittoHash(password: string, stored: string): boolean {
  const [, kind, iterations, salt, hash] = stored.split('$');
  if (kind !== '7' || !iterations || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = pbkdf2Sync(password, Buffer.from(salt, 'base64'), Number(iterations), expected.length, 'sha512');
  return timingSafeEqual(actual, expected);
}

/** The ACL file: the server reads and writes all of Loa's topics; each unit only what acl.ts allows. */
export function mosquittoAcl(serverUsername: string): string {
  const lines = [
    '# Loa: MQTT access rules, generated from server/src/broker/acl.ts (do not edit; export again).',
    '# %u is the unit id: each unit signs in with its id as user name (DESIGN §7).',
    '',
    `user ${serverUsername}`,
    `topic readwrite ${TOPIC_PREFIX}#`,
    '',
    ...UNIT_ACL.publish.map((p) => `pattern write ${TOPIC_PREFIX}${p}`),
    ...UNIT_ACL.subscribe.map((p) => `pattern read ${TOPIC_PREFIX}${p}`),
    '',
  ];
  return lines.join('\n');
}

export interface PasswordEntries {
  lines: string[];
  /** Units whose secret predates the export support: rotate their secret to include them. */
  missing: string[];
  revoked: string[];
}

export function mosquittoPasswords(db: Db, server: { username: string; password: string }): PasswordEntries {
  const rows = db.prepare('SELECT id, mqtt_password_hash, revoked_at FROM units ORDER BY id').all() as Array<{
    id: string;
    mqtt_password_hash: string | null;
    revoked_at: number | null;
  }>;
  const lines = [`${server.username}:${mosquittoPasswordHash(server.password)}`];
  const missing: string[] = [];
  const revoked: string[] = [];
  for (const r of rows) {
    if (r.revoked_at !== null) revoked.push(r.id);
    else if (!r.mqtt_password_hash) missing.push(r.id);
    else lines.push(`${r.id}:${r.mqtt_password_hash}`);
  }
  return { lines, missing, revoked };
}

/**
 * Mosquitto's per-client queue, sized for a province (DESIGN §8: up to 5,000 units; issue #10).
 * The control plane is one client that receives every unit's messages. When a whole province
 * reports at once — a broker restart, a plan or bulletin for every unit — each unit sends it a few
 * QoS 1 messages within seconds (status, media want, events, command ack), and Mosquitto holds
 * them while the server works through them. Its defaults, 20 in flight and 1,000 queued, overflowed
 * at 2,000 units in the fleet benchmark ("Outgoing messages are being dropped for client
 * loa-server"): silently lost statuses and events. These are global options (they apply to each
 * client alike); a unit receives far less, so they bound nothing it needs.
 */
export const MOSQUITTO_QUEUE = {
  /** Unacknowledged QoS 1 messages sent to one client: a burst leaves at the server's pace, not 20 per round trip. */
  maxInflightMessages: 1000,
  /** Queued above those: 20 per unit of a province of 5,000, twice a whole province's burst. */
  maxQueuedMessages: 100_000,
  /**
   * And at most this many bytes queued per client: a memory bound for one stuck client (a unit
   * fetching 256-KiB media chunks over a slow link). The server's burst of small JSON messages
   * (100,000 of well under 1 KiB) stays below it, so the message count is the limit that applies.
   */
  maxQueuedBytes: 256 * 1024 * 1024,
} as const;

export function mosquittoConf(opts: {
  dir: string;
  port: number;
  host?: string;
  tls?: { port: number; certFile: string; keyFile: string };
}): string {
  // Listener options go after their `listener` line: before any, Mosquitto would open a default
  // listener on 1883 for them.
  const listener = (port: number, host?: string) => [
    `listener ${port}${host ? ` ${host}` : ''}`,
    // The client id is the user name: one unit can never take over another's session.
    'use_username_as_clientid true',
  ];
  return [
    '# Loa: a Mosquitto configuration using the exported password and ACL files.',
    '# Mosquitto must be able to read them: run it as the owner of this directory (`user` option).',
    'per_listener_settings false',
    // DESIGN §7: no anonymous client.
    'allow_anonymous false',
    `password_file ${join(opts.dir, 'passwd')}`,
    `acl_file ${join(opts.dir, 'acl')}`,
    // Sized for a province, not Mosquitto's defaults (MOSQUITTO_QUEUE above, scripts/broker/README.md).
    `max_inflight_messages ${MOSQUITTO_QUEUE.maxInflightMessages}`,
    `max_queued_messages ${MOSQUITTO_QUEUE.maxQueuedMessages}`,
    `max_queued_bytes ${MOSQUITTO_QUEUE.maxQueuedBytes}`,
    ...listener(opts.port, opts.host),
    ...(opts.tls
      ? [...listener(opts.tls.port, opts.host), `certfile ${opts.tls.certFile}`, `keyfile ${opts.tls.keyFile}`]
      : []),
    '',
  ].join('\n');
}

/** Writes `passwd` (mode 0600), `acl` and `mosquitto.conf` into `dir`, each atomically. */
export function exportMosquittoConfig(
  db: Db,
  opts: {
    dir: string;
    server: { username: string; password: string };
    port?: number;
    host?: string;
    tls?: { port: number; certFile: string; keyFile: string };
  },
): PasswordEntries & { files: string[] } {
  mkdirSync(opts.dir, { recursive: true });
  const passwords = mosquittoPasswords(db, opts.server);
  const write = (name: string, text: string, mode: number) => {
    const file = join(opts.dir, name);
    writeFileSync(`${file}.tmp`, text, { mode });
    chmodSync(`${file}.tmp`, mode);
    renameSync(`${file}.tmp`, file);
    return file;
  };
  const files = [
    write('passwd', passwords.lines.join('\n') + '\n', 0o600),
    write('acl', mosquittoAcl(opts.server.username), 0o644),
    write(
      'mosquitto.conf',
      mosquittoConf({ dir: opts.dir, port: opts.port ?? 1883, host: opts.host, tls: opts.tls }),
      0o644,
    ),
  ];
  return { ...passwords, files };
}
