import Type from 'typebox';
import { UNIT_ID_PATTERN } from '@loa/shared';

export const UnitView = Type.Object({
  id: Type.String(),
  communeId: Type.String(),
  villageId: Type.Union([Type.String(), Type.Null()]),
  name: Type.String(),
  online: Type.Boolean(),
  statusSince: Type.Union([Type.Integer(), Type.Null()]),
  lastSeen: Type.Union([Type.Integer(), Type.Null()]),
  agentVersion: Type.Union([Type.String(), Type.Null()]),
  /** The plan version the unit reports holding, and the one the server published. */
  reportedPlanVersion: Type.Union([Type.Integer(), Type.Null()]),
  publishedPlanVersion: Type.Union([Type.Integer(), Type.Null()]),
  telemetry: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  /** When the unit's secret was last replaced, and when it was revoked (then it cannot connect). */
  secretRotatedAt: Type.Union([Type.Integer(), Type.Null()]),
  revokedAt: Type.Union([Type.Integer(), Type.Null()]),
});

export const CreateUnitBody = Type.Object(
  {
    id: Type.Optional(Type.String({ pattern: UNIT_ID_PATTERN, description: 'a-z, 0-9 and -, 3 to 64 characters' })),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    communeId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    villageId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

export const CreatedUnit = Type.Object({
  unit: UnitView,
  /** Shown once; only its hash is stored. */
  secret: Type.String(),
  mqtt: Type.Object({ username: Type.String(), clientId: Type.String() }),
  serverPublicKey: Type.String(),
});

export const UnitParams = Type.Object({ id: Type.String({ pattern: UNIT_ID_PATTERN }) });
