// A bulletin as the API receives it (POST, or a PATCH merged onto the stored one) → the fields a
// row stores, with every check that needs no plan, each a 4xx naming the field. The checks that
// need the plan (rule 1, unknown zones and windows) are the service's guard.
import type { MediaRef } from '@loa/shared';
import type { Static } from 'typebox';
import { HttpError } from '../http-error.js';
import type { BulletinRow, EditableFields } from './bulletins.repo.js';
import type { CreateBulletinBody, EditBulletinBody } from './bulletins.schemas.js';
import { relayMediaRef } from './planner-input.js';

export type CreateInput = Static<typeof CreateBulletinBody>;
export type EditInput = Static<typeof EditBulletinBody>;
type FullInput = Omit<CreateInput, 'communeId'>;

function instant(value: string, field: string): number {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms) || !/[zZ]|[+-]\d\d:?\d\d$/.test(value)) {
    throw new HttpError(
      400,
      'invalid-instant',
      `${field} must be an ISO 8601 date and time with its offset, such as 2026-11-22T05:00:00+07:00.`,
      field,
    );
  }
  return ms;
}

/** The stored fields of a full input, and the audio the planner will see; throws a named 4xx. */
export function toFields(
  input: FullInput,
  mediaRef: (sha: string | null) => MediaRef | undefined,
): { fields: EditableFields; media: MediaRef } {
  const validFrom = instant(input.validFrom, 'validFrom');
  const validUntil = instant(input.validUntil, 'validUntil');
  if (validUntil <= validFrom)
    throw new HttpError(400, 'invalid-validity', 'validUntil must come after validFrom.', 'validUntil');
  const targets = {
    commune: input.targets.commune ?? false,
    zoneIds: input.targets.zoneIds ?? [],
    unitIds: input.targets.unitIds ?? [],
  };
  if (!targets.commune && targets.zoneIds.length === 0 && targets.unitIds.length === 0) {
    throw new HttpError(
      400,
      'no-targets',
      'Choose where the bulletin airs: the whole commune, zones or units.',
      'targets',
    );
  }
  if ((input.mediaSha256 === undefined) === (input.relay === undefined))
    throw new HttpError(
      400,
      'media-or-relay',
      'Give the bulletin either its audio (mediaSha256) or a stream to relay (relay), not both.',
      input.relay ? 'relay' : 'mediaSha256',
    );
  const media = input.relay
    ? relayMediaRef(input.relay.url, input.relay.durationMs)
    : mediaRef(input.mediaSha256 ?? null);
  if (!media)
    throw new HttpError(
      400,
      'unknown-media',
      'The audio of this bulletin was not found; upload it first.',
      'mediaSha256',
    );
  return {
    media,
    fields: {
      title: input.title,
      text: input.text ?? null,
      level: input.level,
      media_sha256: input.mediaSha256 ?? null,
      relay_url: input.relay?.url ?? null,
      relay_duration_ms: input.relay?.durationMs ?? null,
      targets: JSON.stringify(targets),
      recurrence: JSON.stringify(input.recurrence),
      repeat_count: input.repeat?.count ?? 1,
      repeat_gap_s: input.repeat?.gapSeconds ?? 0,
      valid_from: validFrom,
      valid_until: validUntil,
      volume: input.volume ?? 80,
    },
  };
}

/**
 * A PATCH merged onto the stored bulletin: the fields given replace the stored ones, the rest stay.
 * Giving audio drops a relay and the other way round, as a bulletin has one or the other.
 */
export function mergeEdit(row: BulletinRow, patch: EditInput): FullInput {
  const stored: FullInput = {
    title: row.title,
    level: row.level,
    targets: JSON.parse(row.targets) as FullInput['targets'],
    recurrence: JSON.parse(row.recurrence) as FullInput['recurrence'],
    repeat: { count: row.repeat_count, gapSeconds: row.repeat_gap_s },
    validFrom: new Date(row.valid_from).toISOString(),
    validUntil: new Date(row.valid_until).toISOString(),
    volume: row.volume,
    ...(row.text !== null ? { text: row.text } : {}),
    ...(row.relay_url && row.relay_duration_ms
      ? { relay: { url: row.relay_url, durationMs: row.relay_duration_ms } }
      : row.media_sha256
        ? { mediaSha256: row.media_sha256 }
        : {}),
  };
  if (patch.mediaSha256 !== undefined || patch.relay !== undefined) {
    delete stored.mediaSha256;
    delete stored.relay;
  }
  const merged = { ...stored };
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
  return merged;
}
