import Type from 'typebox';
import { UNIT_ID_PATTERN } from '@loa/shared';

/** The commands an operator may send through the API (DESIGN §6); live and emergency have their own. */
export const API_COMMAND_TYPES = [
  'volume',
  'mute',
  'unmute',
  'stop',
  'test-tone',
  'resync',
  'reboot',
  'play-now',
] as const;
export type ApiCommandType = (typeof API_COMMAND_TYPES)[number];

export const CommandRequest = Type.Object(
  {
    type: Type.Union(API_COMMAND_TYPES.map((t) => Type.Literal(t))),
    args: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    ttlSeconds: Type.Optional(
      Type.Integer({ minimum: 5, maximum: 86_400, description: 'after this the unit must not run it (default 120)' }),
    ),
  },
  { additionalProperties: false },
);

export const CommandState = Type.Union([
  Type.Literal('pending'),
  Type.Literal('acked'),
  Type.Literal('failed'),
  Type.Literal('expired'),
]);

export const IssuedCommand = Type.Object({
  id: Type.String(),
  unitId: Type.String(),
  type: Type.String(),
  state: Type.Literal('pending'),
  expiresAt: Type.Integer(),
});

export const CommandView = Type.Object({
  id: Type.String(),
  unitId: Type.String(),
  type: Type.String(),
  args: Type.Record(Type.String(), Type.Unknown()),
  state: CommandState,
  error: Type.Optional(Type.String()),
  issuedAt: Type.Integer(),
  expiresAt: Type.Integer(),
  ackedAt: Type.Optional(Type.Integer()),
});

export const UnitParams = Type.Object({ id: Type.String({ pattern: UNIT_ID_PATTERN }) });
export const CommandParams = Type.Object({
  id: Type.String({ pattern: UNIT_ID_PATTERN }),
  commandId: Type.String({ minLength: 1, maxLength: 100 }),
});
