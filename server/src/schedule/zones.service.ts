// Zones (DESIGN §4): any named set of units of one commune; a unit may sit in several. A zone may
// override the commune's windows for its units.
import { randomBytes } from 'node:crypto';
import type { WindowSpec } from '@loa/shared';
import type { Db } from '../db/database.js';
import { HttpError } from '../http-error.js';
import { bulletinsRepo } from './bulletins.repo.js';
import { PLANNED_STATES } from './bulletins.transitions.js';
import type { CommunesService } from './communes.service.js';
import { checkWindows } from './communes.service.js';
import { zonesRepo, type ZoneRow } from './zones.repo.js';

export interface ZoneInput {
  id?: string;
  communeId?: string;
  name: string;
  unitIds: string[];
  windows?: WindowSpec[] | null;
}

/** `onChange` is told which commune's zones changed: its units are re-planned. */
export function zonesService(db: Db, communes: CommunesService, onChange: (communeIds?: readonly string[]) => void) {
  const repo = zonesRepo(db);
  const bulletins = bulletinsRepo(db);
  const unitCommune = db.prepare('SELECT commune_id FROM units WHERE id = ?');

  const get = (id: string) => {
    const z = repo.get(id);
    if (!z) throw new HttpError(404, 'zone-not-found', `There is no zone ${id}.`);
    return z;
  };

  function checkMembers(communeId: string, unitIds: string[]) {
    for (const unit of unitIds) {
      const row = unitCommune.get(unit) as { commune_id: string } | undefined;
      if (!row) throw new HttpError(400, 'unknown-unit', `There is no unit ${unit}.`, 'unitIds');
      if (row.commune_id !== communeId)
        throw new HttpError(400, 'unit-of-other-commune', `Unit ${unit} belongs to another commune.`, 'unitIds');
    }
  }

  return {
    list: (communeId: string | null) => repo.list(communeId),
    get,
    create(input: ZoneInput) {
      const commune = input.communeId
        ? communes.get(input.communeId)
        : communes.list().length === 1
          ? communes.list()[0]!
          : undefined;
      if (!commune)
        throw new HttpError(400, 'commune-required', 'Name the commune of this zone (communeId).', 'communeId');
      const id = input.id ?? `zone-${randomBytes(3).toString('hex')}`;
      if (repo.get(id)) throw new HttpError(409, 'zone-exists', `A zone with id ${id} already exists.`, 'id');
      checkMembers(commune.id, input.unitIds);
      if (input.windows) checkWindows(input.windows, commune.quietHours);
      const zone: ZoneRow = {
        id,
        communeId: commune.id,
        name: input.name,
        unitIds: input.unitIds,
        windows: input.windows ?? null,
      };
      repo.save(zone, true);
      onChange([commune.id]);
      return get(id);
    },
    update(id: string, input: Omit<ZoneInput, 'id' | 'communeId'>) {
      const z = get(id);
      const commune = communes.get(z.communeId);
      checkMembers(z.communeId, input.unitIds);
      if (input.windows) checkWindows(input.windows, commune.quietHours);
      repo.save({ ...z, name: input.name, unitIds: input.unitIds, windows: input.windows ?? null }, false);
      onChange([z.communeId]);
      return get(id);
    },
    remove(id: string) {
      const zone = get(id);
      const users = bulletins
        .inStates([...PLANNED_STATES, 'submitted', 'draft'], Date.now())
        .filter((b) => ((JSON.parse(b.targets) as { zoneIds?: string[] }).zoneIds ?? []).includes(id));
      if (users.length > 0) {
        throw new HttpError(
          409,
          'zone-in-use',
          `Zone ${id} is a target of ${users.length} bulletin(s), e.g. "${users[0]!.title}". Withdraw or change them first.`,
        );
      }
      repo.remove(id);
      onChange([zone.communeId]);
    },
  };
}
