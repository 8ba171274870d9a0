import Type from 'typebox';
import { Targets } from '../schedule/bulletins.schemas.js';

const Id = Type.String({ minLength: 1, maxLength: 64 });

export const LiveRequest = Type.Object(
  {
    communeId: Id,
    title: Type.Optional(Type.String({ maxLength: 300 })),
    targets: Targets,
    volume: Type.Integer({ minimum: 0, maximum: 100, description: 'the session’s own volume on every unit' }),
    level: Type.Optional(
      Type.Union([Type.Literal('normal'), Type.Literal('emergency')], {
        description:
          'emergency (needs the emergency permission): sounds outside windows too and takes units from a normal session',
      }),
    ),
  },
  { additionalProperties: false },
);

export const LiveUnitView = Type.Object({
  unitId: Type.String(),
  state: Type.Union([Type.Literal('pending'), Type.Literal('ok'), Type.Literal('error'), Type.Literal('expired')], {
    description: 'ok: the unit answered live-start and plays the session',
  }),
  error: Type.Optional(Type.String()),
  ackedAt: Type.Optional(Type.Integer()),
});

export const LiveView = Type.Object({
  id: Type.String(),
  communeId: Type.String(),
  title: Type.Union([Type.String(), Type.Null()]),
  level: Type.Union([Type.Literal('normal'), Type.Literal('emergency')]),
  startedBy: Type.Object({ id: Type.Integer(), name: Type.String() }),
  startedAt: Type.Integer(),
  endedAt: Type.Union([Type.Integer(), Type.Null()]),
  endReason: Type.Union([Type.String(), Type.Null()]),
  volume: Type.Integer(),
  units: Type.Array(LiveUnitView),
  frames: Type.Object({ received: Type.Integer(), dropped: Type.Integer() }),
});

export const LiveParams = Type.Object({ id: Id });
