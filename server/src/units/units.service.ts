// Rules about units: creation with a one-time secret, and their online state from MQTT.
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { StatusMessage, TelemetryMessage, decoder } from '@loa/shared';
import type { Db } from '../db/database.js';
import type { Bus } from '../broker/bus.js';
import { HttpError } from '../http-error.js';
import { unitsRepo, type ListedUnitRow, type UnitRow } from './units.repo.js';
import { unitsList } from './units.list.js';
import { hashUnitSecret, newUnitSecret, revokeUnitSecret, storeUnitSecret } from './units.secrets.js';
import { communesRepo } from '../schedule/communes.repo.js';
import type { Hub } from '../hub.js';
import { SERVER_USERNAME } from '../broker/embedded.js';

const statusDecoder = decoder(StatusMessage);
const telemetryDecoder = decoder(TelemetryMessage);
/** Each unit's latest telemetry is written at most this often, every unit in one transaction. */
const TELEMETRY_FLUSH_MS = 1000;

export function toUnitView(row: UnitRow, publishedPlanVersion: number | null) {
  const { telemetryText: _, ...view } = viewOf(row, publishedPlanVersion);
  return {
    ...view,
    telemetry: row.last_telemetry ? (JSON.parse(row.last_telemetry) as Record<string, unknown>) : null,
  };
}

/**
 * One unit of GET /api/units as JSON text. The stored sample is the server's own JSON.stringify of
 * a checked message, so it goes in as it is, not parsed and written again.
 */
function unitJson(row: ListedUnitRow): string {
  const { telemetryText, ...view } = viewOf(row, row.published_plan_version);
  return `${JSON.stringify(view).slice(0, -1)},"telemetry":${telemetryText ?? 'null'}}`;
}

function viewOf(row: UnitRow, publishedPlanVersion: number | null) {
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
    telemetryText: row.last_telemetry,
    secretRotatedAt: row.secret_rotated_at,
    revokedAt: row.revoked_at,
  };
}

/**
 * A unit id is its broker user name: the server's own (`loa-server`) would give a board the
 * server's rights on the broker, or its password line in an exported Mosquitto file.
 */
export function refuseReservedUnitId(id: string, field: string): void {
  if (id === SERVER_USERNAME)
    throw new HttpError(
      400,
      'reserved-unit-id',
      `${id} is the server's own name on the broker, so no unit may have it: choose another id.`,
      field,
    );
}

export function unitsService(db: Db, log: FastifyBaseLogger) {
  const repo = unitsRepo(db);
  const communes = communesRepo(db);
  const planVersion = db.prepare('SELECT version FROM plans WHERE unit_id = ?');
  const published = (id: string) => (planVersion.get(id) as { version: number } | undefined)?.version ?? null;
  // Issue #10: every status and telemetry message asks whether its unit exists, and the alert
  // rules and the dashboard feed which commune it is in (hundreds a second for a province). Units
  // are never deleted (a retired board is revoked) and never change commune, so once seen, a
  // unit's commune is remembered; an unknown id is still asked of the database each time.
  const known = new Map<string, string>();
  const communeOf = (id: string): string | undefined => {
    let commune = known.get(id);
    if (commune === undefined) {
      commune = repo.communeOf(id);
      if (commune !== undefined) known.set(id, commune);
    }
    return commune;
  };
  const exists = (id: string) => communeOf(id) !== undefined;
  const list = unitsList(db, unitJson);

  return {
    /** A unit's commune, or undefined when there is no such unit (remembered: see above). */
    communeOf,
    /**
     * The JSON of GET /api/units: the units `visible` lets through, in id order. Issue #10: each
     * unit's JSON is kept until its row changes (units.list.ts), and the list is written without
     * the response schema's serializer (which took over a second for 5,000 units).
     */
    listJson: (visible: (communeId: string) => boolean) => list.json(visible),
    /** Stops the list's upkeep between requests: before the database closes. */
    stop: () => list.stop(),
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
      refuseReservedUnitId(id, 'id');
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
        if (!exists(t.unit)) return;
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
      // Issue #10: 5,000 units sampling every 10 s are 500 messages a second; their latest samples
      // are kept here and written once a second in one transaction, not one commit each.
      let latest = new Map<string, [id: string, now: number, sample: string]>();
      let flushing: NodeJS.Timeout | undefined;
      const flush = () => {
        flushing = undefined;
        const samples = latest.values();
        latest = new Map();
        if (!db.open) return; // the server closed meanwhile: the units report again after a restart
        try {
          repo.setTelemetryMany(samples);
        } catch (err) {
          log.error({ err: (err as Error).message }, 'units: could not store telemetry');
        }
      };
      bus.on('unit:telemetry', (t, payload) => {
        if (t.kind !== 'unit') return;
        const msg = telemetryDecoder.decode(payload);
        if (!msg.ok) return log.warn({ unit: t.unit, reason: msg.error }, 'units: dropped telemetry');
        if (!exists(t.unit)) return;
        const now = Date.now();
        latest.set(t.unit, [t.unit, now, JSON.stringify(msg.value)]);
        flushing ??= setTimeout(flush, TELEMETRY_FLUSH_MS).unref();
        hub.emit('unit-telemetry', { unitId: t.unit, sample: msg.value, at: now });
      });
    },
  };
}
export type UnitsService = ReturnType<typeof unitsService>;
