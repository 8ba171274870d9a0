import Type from 'typebox';
import { UNIT_ID_PATTERN } from '@loa/shared';

export const CreateTokenBody = Type.Object(
  {
    unitId: Type.Optional(
      Type.String({
        pattern: UNIT_ID_PATTERN,
        description: 'enroll as this unit (new, or an existing one to replace its board)',
      }),
    ),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    communeId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    ttlHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 720 })),
  },
  { additionalProperties: false },
);

export const TokenView = Type.Object({
  id: Type.String(),
  unitId: Type.Union([Type.String(), Type.Null()]),
  name: Type.String(),
  communeId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.Integer(),
  expiresAt: Type.Integer(),
  usedAt: Type.Union([Type.Integer(), Type.Null()]),
  usedByUnit: Type.Union([Type.String(), Type.Null()]),
  state: Type.Union([Type.Literal('pending'), Type.Literal('used'), Type.Literal('expired')]),
});

/** Shown once: only its hash is stored. */
export const CreatedToken = Type.Intersect([TokenView, Type.Object({ token: Type.String() })]);

export const EnrollBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

export const Enrollment = Type.Object({
  unitId: Type.String(),
  /** The unit's MQTT password, shown once. */
  secret: Type.String(),
  serverPublicKey: Type.String(),
  mqttUrl: Type.String(),
});
