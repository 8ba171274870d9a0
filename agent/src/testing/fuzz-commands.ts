// Arguments a server could send with each command of DESIGN §6, for the agent's fuzz test: mostly
// plausible (right keys, values near and past their limits, known and unknown media and sessions),
// sometimes any JSON at all. The types come from the protocol's own list, so a new command is
// fuzzed as soon as it exists.
import fc from 'fast-check';
import { CommandType as CommandTypeSchema, type CommandType } from '@loa/shared';
import { opusHeadPages } from '@loa/shared/ogg';

export const COMMAND_TYPES: CommandType[] = CommandTypeSchema.anyOf.map((t) => t.const);

export interface FuzzMedia {
  /** Media the commands may name: some the server holds, some it never sends. */
  shas: string[];
  bytes: number;
  durationMs: number;
  /** A well-formed live session key. */
  liveKey: string;
}

const json = fc.jsonValue({ maxDepth: 4 });

/** Arguments a server could send for each type, mostly plausible, sometimes out of range. */
function argsFor(type: CommandType, m: FuzzMedia): fc.Arbitrary<Record<string, unknown>> {
  const sha = fc.constantFrom(...m.shas, 'ef'.repeat(32), 'not-a-sha');
  const emergencyId = fc.constantFrom('fz-1', 'fz-2', 'not an id');
  const sessionId = fc.constantFrom('fz-a', 'fz-b', 'not an id');
  const plausible: Record<CommandType, fc.Arbitrary<Record<string, unknown>>> = {
    volume: fc.record({ volume: fc.oneof(fc.integer({ min: -5, max: 105 }), fc.double()) }),
    mute: fc.constant({}),
    unmute: fc.constant({}),
    stop: fc.oneof(fc.constant({}), fc.record({ emergencyId })),
    resync: fc.constant({}),
    reboot: fc.constant({}),
    'test-tone': fc.record({ seconds: fc.integer({ min: 0, max: 2 }), force: fc.boolean() }),
    'play-now': fc.record({ sha256: sha, force: fc.boolean() }),
    // validUntil is set when it is sent (validForMs): at most a second of waiting for a media.
    emergency: fc.record({
      emergencyId,
      sha256: sha,
      bytes: fc.constant(m.bytes),
      durationMs: fc.constant(m.durationMs),
      repeat: fc.integer({ min: 0, max: 2 }),
      volume: fc.integer({ min: 0, max: 101 }),
      validForMs: fc.integer({ min: -100, max: 1000 }),
    }),
    'live-start': fc.record({
      sessionId,
      key: fc.oneof(fc.constant(m.liveKey), fc.constant('c2hvcnQ=')),
      head: fc.oneof(fc.constant(opusHeadPages(7).toString('base64')), fc.base64String({ maxLength: 80 })),
      volume: fc.integer({ min: 0, max: 100 }),
      idleMs: fc.constantFrom(500, 800, 100),
      level: fc.constantFrom('normal', 'emergency', 'loud'),
    }),
    'live-stop': fc.record({ sessionId }),
  };
  return fc.oneof(
    { arbitrary: plausible[type], weight: 4 },
    { arbitrary: fc.dictionary(fc.string({ maxLength: 10 }), json, { maxKeys: 3 }), weight: 1 },
  );
}

/** Types and arguments of commands that the test signs with the server's key: each must be run and answered. */
export function commandsOfEveryType(m: FuzzMedia): fc.Arbitrary<{ type: CommandType; args: Record<string, unknown> }> {
  return fc.constantFrom(...COMMAND_TYPES).chain((type) => argsFor(type, m).map((args) => ({ type, args })));
}
