import Type from 'typebox';
import { UNIT_ID_PATTERN } from '@loa/shared';

export const AlertView = Type.Object({
  id: Type.Integer(),
  unitId: Type.Union([Type.String(), Type.Null()]),
  kind: Type.String(),
  state: Type.Union([Type.Literal('raised'), Type.Literal('cleared')]),
  message: Type.String(),
  raisedAt: Type.Integer(),
  clearedAt: Type.Union([Type.Integer(), Type.Null()]),
  detail: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
});

export const AlertsQuery = Type.Object({
  state: Type.Optional(Type.Union([Type.Literal('raised'), Type.Literal('all')], { default: 'raised' })),
  unitId: Type.Optional(Type.String({ pattern: UNIT_ID_PATTERN })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
});

export const AlertParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
