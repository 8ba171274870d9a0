// Unit secrets: 256 random bits shown once, stored as their SHA-256. A slow password hash (scrypt)
// buys nothing for a secret with that much entropy, and would cost ~50 ms of CPU on each of
// thousands of reconnects after a broker restart; a fast hash with a constant-time compare is the
// right tool here (people's passwords, which are guessable, use scrypt: see auth/). Beside it, the
// Mosquitto `$7$` hash of the same secret, for an external broker's password file (scripts/broker).
// A revoked unit has no secret at all until a new one is issued (issue #4).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/database.js';
import { mosquittoPasswordHash } from '../broker/mosquitto.js';

export function newUnitSecret(): string {
  return commandLineToken();
}

/**
 * 256 random bits in base64url that never start with '-': a technician types it after `--secret`
 * or `--token`, and a leading dash reads as an option there (one secret in 64 did; CI met one).
 */
export function commandLineToken(): string {
  for (;;) {
    const token = randomBytes(32).toString('base64url');
    if (!token.startsWith('-')) return token;
  }
}

export function hashUnitSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function verifyUnitSecret(db: Db, unit: string, secret: string): boolean {
  const row = db.prepare('SELECT secret_hash FROM units WHERE id = ? AND revoked_at IS NULL').get(unit) as
    { secret_hash: string } | undefined;
  if (!row) return false;
  const a = Buffer.from(hashUnitSecret(secret), 'hex');
  const b = Buffer.from(row.secret_hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Stores a unit's (new) secret: the old one stops working at once, and a revocation is lifted. */
export function storeUnitSecret(db: Db, unit: string, secret: string, rotated: boolean): void {
  db.prepare(
    `UPDATE units SET secret_hash = ?, mqtt_password_hash = ?, revoked_at = NULL,
       secret_rotated_at = CASE WHEN ? THEN ? ELSE secret_rotated_at END WHERE id = ?`,
  ).run(hashUnitSecret(secret), mosquittoPasswordHash(secret), rotated ? 1 : 0, Date.now(), unit);
}

/** Revokes a unit's credential: no secret matches until a new one is issued. */
export function revokeUnitSecret(db: Db, unit: string): void {
  db.prepare(`UPDATE units SET secret_hash = '', mqtt_password_hash = NULL, revoked_at = ? WHERE id = ?`).run(
    Date.now(),
    unit,
  );
}
