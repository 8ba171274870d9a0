// Unit secrets: 256 random bits shown once, stored as their SHA-256. A slow password hash (scrypt)
// buys nothing for a secret with that much entropy, and would cost ~50 ms of CPU on each of
// thousands of reconnects after a broker restart; a fast hash with a constant-time compare is the
// right tool here (people's passwords, which are guessable, use scrypt: see auth/).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/database.js';

export function newUnitSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashUnitSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function verifyUnitSecret(db: Db, unit: string, secret: string): boolean {
  const row = db.prepare('SELECT secret_hash FROM units WHERE id = ?').get(unit) as { secret_hash: string } | undefined;
  if (!row) return false;
  const a = Buffer.from(hashUnitSecret(secret), 'hex');
  const b = Buffer.from(row.secret_hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
