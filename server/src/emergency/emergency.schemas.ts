import Type from 'typebox';
import { Targets } from '../schedule/bulletins.schemas.js';

const Id = Type.String({ minLength: 1, maxLength: 64 });

/** What to air: a media already stored, or a text read aloud now (TTS). Live comes with issue #8's live part. */
export const EmergencyContent = Type.Union([
  Type.Object({ sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) }, { additionalProperties: false }),
  Type.Object(
    {
      ttsText: Type.String({ minLength: 1, maxLength: 5000 }),
      voice: Type.Optional(Type.String({ maxLength: 64 })),
    },
    { additionalProperties: false },
  ),
]);

export const EmergencyRequest = Type.Object(
  {
    communeId: Id,
    title: Type.Optional(Type.String({ maxLength: 300 })),
    content: EmergencyContent,
    targets: Targets,
    repeat: Type.Integer({ minimum: 1, maximum: 10, description: 'times the content airs back to back' }),
    volume: Type.Integer({
      minimum: 0,
      maximum: 100,
      description: 'its own volume, whatever the unit volume (rule 4)',
    }),
    validSeconds: Type.Optional(
      Type.Integer({
        minimum: 10,
        maximum: 3600,
        description: 'a unit that gets it later than this (offline meanwhile) must not air it (default 300)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const EmergencyUnitView = Type.Object({
  unitId: Type.String(),
  commandId: Type.String(),
  state: Type.String({ description: 'pending | acked | failed | expired, from the unit command' }),
  error: Type.Optional(Type.String()),
  ackedAt: Type.Optional(Type.Integer()),
});

export const EmergencyView = Type.Object({
  id: Type.String(),
  communeId: Type.String(),
  title: Type.Union([Type.String(), Type.Null()]),
  sha256: Type.String(),
  durationMs: Type.Integer(),
  repeat: Type.Integer(),
  volume: Type.Integer(),
  createdAt: Type.Integer(),
  validUntil: Type.Integer(),
  stoppedAt: Type.Union([Type.Integer(), Type.Null()], { description: 'stopped early by a person' }),
  units: Type.Array(EmergencyUnitView),
});

export const EmergencyParams = Type.Object({ id: Id });
