import Type from 'typebox';

const Id = Type.String({ minLength: 1, maxLength: 64 });
export const Clock = Type.String({
  pattern: '^([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d)?$',
  description: 'local time HH:MM or HH:MM:SS',
});
export const LevelSchema = Type.Union([Type.Literal('ordinary'), Type.Literal('priority'), Type.Literal('emergency')]);

export const Targets = Type.Object(
  {
    commune: Type.Optional(Type.Boolean()),
    zoneIds: Type.Optional(Type.Array(Id, { maxItems: 1000, uniqueItems: true })),
    unitIds: Type.Optional(Type.Array(Id, { maxItems: 10000, uniqueItems: true })),
  },
  { additionalProperties: false },
);

export const Recurrence = Type.Object(
  {
    days: Type.Array(Type.Integer({ minimum: 0, maximum: 6 }), {
      minItems: 1,
      maxItems: 7,
      uniqueItems: true,
      description: '0 = Sunday … 6 = Saturday',
    }),
    windowIds: Type.Optional(Type.Array(Id, { maxItems: 20, uniqueItems: true })),
    pinnedTimes: Type.Optional(Type.Array(Clock, { minItems: 1, maxItems: 48, uniqueItems: true })),
  },
  { additionalProperties: false },
);

export const Repeat = Type.Object(
  { count: Type.Integer({ minimum: 1, maximum: 20 }), gapSeconds: Type.Integer({ minimum: 0, maximum: 3600 }) },
  { additionalProperties: false },
);

export const Relay = Type.Object(
  {
    url: Type.String({
      pattern: '^https?://[^\\s]+$',
      maxLength: 2000,
      description: 'HTTP/Icecast stream: MP3, AAC or Opus',
    }),
    durationMs: Type.Integer({ minimum: 10_000, maximum: 6 * 3600_000 }),
  },
  { additionalProperties: false },
);

export const CreateBulletinBody = Type.Object(
  {
    communeId: Type.Optional(Id),
    title: Type.String({ minLength: 1, maxLength: 300 }),
    text: Type.Optional(Type.String({ maxLength: 20000 })),
    level: LevelSchema,
    mediaSha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
    /** A relay (tiếp sóng, issue #8) instead of a media: units pull this stream for durationMs. */
    relay: Type.Optional(Relay),
    targets: Targets,
    recurrence: Recurrence,
    repeat: Type.Optional(Repeat),
    validFrom: Type.String({ minLength: 10, maxLength: 40, description: 'ISO 8601 instant' }),
    validUntil: Type.String({ minLength: 10, maxLength: 40, description: 'ISO 8601 instant' }),
    volume: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  },
  { additionalProperties: false },
);

/**
 * PATCH /api/bulletins/:id: any field of a new bulletin but its commune; those given replace the
 * stored ones. Checked like a new bulletin once merged.
 */
export const EditBulletinBody = Type.Partial(Type.Omit(CreateBulletinBody, ['communeId']), {
  additionalProperties: false,
  minProperties: 1,
});

export const BulletinView = Type.Object({
  id: Type.String(),
  communeId: Type.String(),
  title: Type.String(),
  text: Type.Union([Type.String(), Type.Null()]),
  level: LevelSchema,
  mediaSha256: Type.Union([Type.String(), Type.Null()]),
  relay: Type.Union([Relay, Type.Null()]),
  state: Type.String(),
  targets: Targets,
  recurrence: Recurrence,
  repeat: Repeat,
  validFrom: Type.String(),
  validUntil: Type.String(),
  volume: Type.Integer(),
  createdAt: Type.Integer(),
  approvedAt: Type.Union([Type.Integer(), Type.Null()]),
  rejectedReason: Type.Union([Type.String(), Type.Null()]),
  /** Account ids: the web app hides "approve" on one's own bulletin (nobody approves their own). */
  createdBy: Type.Union([Type.Integer(), Type.Null()]),
  approvedBy: Type.Union([Type.Integer(), Type.Null()]),
});

export const BulletinParams = Type.Object({ id: Id });
export const RejectBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 1000 }) },
  { additionalProperties: false },
);
