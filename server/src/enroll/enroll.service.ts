// Enrollment of a new board (issue 7): an administrator or technician makes a one-time token for a
// unit (a new one, or an existing one whose board is replaced); the installer runs
// `loa-agent enroll --server URL --token T` on the board, which trades it here, once, for the unit
// id, a fresh secret and the server's public key. Only the token's hash is stored; it expires; a
// second use fails the same way as an unknown token. An existing unit gets a new secret, so the old
// board (or whoever copied its files) is cut off at once.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/database.js';
import { HttpError } from '../http-error.js';
import { refuseReservedUnitId, type UnitsService } from '../units/units.service.js';
import { commandLineToken } from '../units/units.secrets.js';
import { enrollRepo, type TokenRow } from './enroll.repo.js';

export const DEFAULT_TOKEN_HOURS = 24;

const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export interface TokenView {
  id: string;
  unitId: string | null;
  name: string;
  communeId: string | null;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  usedByUnit: string | null;
  state: 'pending' | 'used' | 'expired';
}

export function toTokenView(row: TokenRow, now = Date.now()): TokenView {
  return {
    id: row.id,
    unitId: row.unit_id,
    name: row.name,
    communeId: row.commune_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
    usedByUnit: row.used_by_unit,
    state: row.used_at ? 'used' : row.expires_at <= now ? 'expired' : 'pending',
  };
}

export interface EnrollResult {
  tokenId: string;
  unit: ReturnType<UnitsService['create']>['unit'];
  secret: string;
  /** False when an existing unit got a new board (its secret was rotated). */
  created: boolean;
}

export const INVALID_TOKEN_MESSAGE =
  'This enrollment token is unknown, expired or already used. Ask the administrator for a new one.';

export function enrollService(db: Db, units: UnitsService, communeOfUnit: (id: string) => string | undefined) {
  const repo = enrollRepo(db);
  const communeExists = db.prepare('SELECT 1 FROM communes WHERE id = ?');

  return {
    create(
      input: { unitId?: string; name: string; communeId?: string; ttlHours?: number },
      createdBy: number | null,
    ): TokenView & { token: string } {
      if (input.unitId) refuseReservedUnitId(input.unitId, 'unitId');
      const existing = input.unitId ? communeOfUnit(input.unitId) : undefined;
      if (existing && input.communeId && input.communeId !== existing)
        throw new HttpError(
          400,
          'commune-mismatch',
          `Unit ${input.unitId} belongs to commune ${existing}.`,
          'communeId',
        );
      if (input.communeId && !communeExists.get(input.communeId))
        throw new HttpError(400, 'unknown-commune', `There is no commune ${input.communeId}.`, 'communeId');
      const token = commandLineToken();
      const now = Date.now();
      const id = `enr-${randomBytes(6).toString('hex')}`;
      repo.insert({
        id,
        tokenHash: hashToken(token),
        unitId: input.unitId ?? null,
        name: input.name,
        communeId: existing ?? input.communeId ?? null,
        createdBy,
        createdAt: now,
        expiresAt: now + (input.ttlHours ?? DEFAULT_TOKEN_HOURS) * 3600_000,
      });
      return { ...toTokenView(repo.get(id)!, now), token };
    },
    list: (limit = 200) => repo.list(limit).map((r) => toTokenView(r)),
    get(id: string) {
      const row = repo.get(id);
      if (!row) throw new HttpError(404, 'enrollment-token-not-found', `There is no enrollment token ${id}.`);
      return row;
    },
    revoke(id: string) {
      const row = repo.get(id);
      if (!row) throw new HttpError(404, 'enrollment-token-not-found', `There is no enrollment token ${id}.`);
      if (!repo.revoke(id, Date.now()))
        throw new HttpError(409, 'enrollment-token-spent', 'This token is already used or expired.');
    },
    /**
     * Spends the token and gives the unit its identity: creates the unit, or rotates the secret of
     * the existing one. All or nothing: a failure leaves the token usable.
     */
    enroll: db.transaction((token: string): EnrollResult => {
      const now = Date.now();
      const hash = hashToken(token);
      if (!repo.consume(hash, now)) throw new HttpError(401, 'invalid-enrollment-token', INVALID_TOKEN_MESSAGE);
      const row = repo.byHash(hash)!;
      const replacing = row.unit_id !== null && communeOfUnit(row.unit_id) !== undefined;
      const result = replacing
        ? units.rotateSecret(row.unit_id!)
        : units.create({ id: row.unit_id ?? undefined, name: row.name, communeId: row.commune_id ?? undefined });
      repo.usedBy(row.id, result.unit.id);
      return { tokenId: row.id, unit: result.unit, secret: result.secret, created: !replacing };
    }) as (token: string) => EnrollResult,
  };
}
export type EnrollService = ReturnType<typeof enrollService>;
