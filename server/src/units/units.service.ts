// Rules about units: creation with a one-time secret, and their online state from MQTT.
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { StatusMessage, TelemetryMessage, decoder } from '@loa/shared';
import type { Db } from '../db/database.js';
import type { Bus } from '../broker/bus.js';
import { HttpError } from '../http-error.js';
import { unitsRepo, type UnitRow } from './units.repo.js';
import { hashUnitSecret, newUnitSecret, revokeUnitSecret, storeUnitSecret } from './units.secrets.js';
import { communesRepo } from '../schedule/communes.repo.js';
import type { Hub } from '../hub.js';

const statusDecoder = decoder(StatusMessage);
const telemetryDecoder = decoder(TelemetryMessage);

export function toUnitView(row: UnitRow, publishedPlanVersion: number | null) {
  return {
    id: row.id,
    communeId: row.commune_id,
    villageId: row.village_id,
    name: row.name,
    online: row.online === 1,
    statusSince: row.status_since,
    lastSeen: row.last_seen,
    agentVersion: row.agent_version,
    reportedPlanVersion: row.reported_plan_version,
    publishedPlanVersion,
    telemetry: row.last_telemetry ? (JSON.parse(row.last_telemetry) as Record<string, unknown>) : null,
    secretRotatedAt: row.secret_rotated_at,
    revokedAt: row.revoked_at,
  };
}

export function unitsService(db: Db, log: FastifyBaseLogger) {
  const repo = unitsRepo(db);
  const communes = communesRepo(db);
  const planVersion = db.prepare('SELECT version FROM plans WHERE unit_id = ?');
  const published = (id: string) => (planVersion.get(id) as { version: number } | undefined)?.version ?? null;

  return {
    list: () => repo.list().map((r) => toUnitView(r, published(r.id))),
    get(id: string) {
      const row = repo.get(id);
      if (!row) throw new HttpError(404, 'unit-not-found', `There is no unit ${id}.`);
      return toUnitView(row, published(id));
    },
    create(input: { id?: string; name: string; communeId?: string; villageId?: string }) {
      const commune = input.communeId ? communes.get(input.communeId) : communes.only();
      if (!commune) {
        throw new HttpError(
          400,
          'commune-required',
          input.communeId
            ? `There is no commune ${input.communeId}.`
            : 'Name the commune of this unit (communeId): there is more than one.',
        );
      }
      const id = input.id ?? `unit-${randomBytes(4).toString('hex')}`;
      if (input.villageId && communes.village(input.villageId)?.communeId !== commune.id) {
        throw new HttpError(
          400,
          'unknown-village',
          `There is no village ${input.villageId} in commune ${commune.id}.`,
          'villageId',
        );
      }
      if (repo.get(id))
        throw new HttpError(409, 'unit-exists', `A unit with id ${id} already exists; choose another id.`);
      const secret = newUnitSecret();
      repo.insert({
        id,
        communeId: commune.id,
        villageId: input.villageId ?? null,
        name: input.name,
        secretHash: hashUnitSecret(secret),
        createdAt: Date.now(),
      });
      storeUnitSecret(db, id, secret, false);
      return { unit: toUnitView(repo.get(id)!, null), secret };
    },
    /**
     * A new secret, shown once (issue #4): the old one stops working at once, and a revoked unit
     * is re-enrolled. The caller disconnects the unit from the broker.
     */
    rotateSecret(id: string) {
      if (!repo.get(id)) throw new HttpError(404, 'unit-not-found', `There is no unit ${id}.`);
      const secret = newUnitSecret();
      storeUnitSecret(db, id, secret, true);
      return { unit: toUnitView(repo.get(id)!, published(id)), secret };
    },
    /** Revokes a unit's credential (a stolen or retired board); the caller disconnects it. */
    revoke(id: string) {
      if (!repo.get(id)) throw new HttpError(404, 'unit-not-found', `There is no unit ${id}.`);
      revokeUnitSecret(db, id);
      return toUnitView(repo.get(id)!, published(id));
    },
    update(id: string, patch: { name?: string; villageId?: string | null }) {
      const row = repo.get(id);
      if (!row) throw new HttpError(404, 'unit-not-found', `There is no unit ${id}.`);
      const villageId = patch.villageId === undefined ? row.village_id : patch.villageId;
      if (villageId) {
        const village = communes.village(villageId);
        if (!village || village.communeId !== row.commune_id) {
          throw new HttpError(
            400,
            'unknown-village',
            `There is no village ${villageId} in the unit's commune.`,
            'villageId',
          );
        }
      }
      repo.update(id, patch.name ?? row.name, villageId);
      return toUnitView(repo.get(id)!, published(id));
    },
    /** Wires the unit topics of the bus: retained status (and the broker's will), telemetry. */
    attach(bus: Bus, hub: Hub) {
      bus.on('unit:status', (t, payload) => {
        if (t.kind !== 'unit') return;
        if (payload.length === 0) return; // a cleared retained message
        const msg = statusDecoder.decode(payload);
        if (!msg.ok) return log.warn({ unit: t.unit, reason: msg.error }, 'units: dropped status');
        if (!repo.get(t.unit)) return;
        const now = Date.now();
        repo.setStatus({
          id: t.unit,
          online: msg.value.online,
          since: msg.value.since ?? now,
          now,
          agentVersion: msg.value.agentVersion ?? null,
          planVersion: msg.value.scheduleVersion ?? null,
        });
        hub.emit('unit-status', { unitId: t.unit, online: msg.value.online, at: now });
      });
      bus.on('unit:telemetry', (t, payload) => {
        if (t.kind !== 'unit') return;
        const msg = telemetryDecoder.decode(payload);
        if (!msg.ok) return log.warn({ unit: t.unit, reason: msg.error }, 'units: dropped telemetry');
        if (!repo.get(t.unit)) return;
        const now = Date.now();
        repo.setTelemetry(t.unit, now, JSON.stringify(msg.value));
        hub.emit('unit-telemetry', { unitId: t.unit, sample: msg.value, at: now });
      });
    },
  };
}
export type UnitsService = ReturnType<typeof unitsService>;
