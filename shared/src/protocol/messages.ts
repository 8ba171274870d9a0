// Payload schemas of protocol v1 (DESIGN §3), written once in TypeBox: the server and the agent get
// the static type (`Static<>`) and the runtime check from the same source (STYLE.md).
import Type, { type Static } from 'typebox';
import { UNIT_ID_PATTERN } from './topics.js';

const UnitId = Type.String({ pattern: UNIT_ID_PATTERN });
const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });
/** An instant as milliseconds since the Unix epoch (UTC): exact, and no time-zone parsing on a board. */
const Instant = Type.Integer({ minimum: 0 });

export const Level = Type.Union([Type.Literal('ordinary'), Type.Literal('priority'), Type.Literal('emergency')]);
export type Level = Static<typeof Level>;

// ── units/{id}/status (retained; the will is `{online:false}`) ─────────────────────────────────
export const StatusMessage = Type.Object({
  online: Type.Boolean(),
  agentVersion: Type.Optional(Type.String({ maxLength: 64 })),
  scheduleVersion: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
  since: Type.Optional(Instant),
});
export type StatusMessage = Static<typeof StatusMessage>;

// ── units/{id}/telemetry ─────────────────────────────────────────────────────────────────────
export const TelemetryMessage = Type.Object({
  at: Instant,
  uptimeS: Type.Number({ minimum: 0 }),
  load1: Type.Optional(Type.Number({ minimum: 0 })),
  cpuTempC: Type.Optional(Type.Number()),
  memFreeBytes: Type.Optional(Type.Integer({ minimum: 0 })),
  diskFreeBytes: Type.Optional(Type.Integer({ minimum: 0 })),
  /** The size of the disk holding the agent's data, so the server judges its free share (issue #9). */
  diskTotalBytes: Type.Optional(Type.Integer({ minimum: 0 })),
  cacheBytes: Type.Optional(Type.Integer({ minimum: 0 })),
  volume: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  muted: Type.Optional(Type.Boolean()),
  amplifierOn: Type.Optional(Type.Boolean()),
  playing: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
  planVersion: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
  clockOffsetMs: Type.Optional(Type.Number()),
  agentVersion: Type.Optional(Type.String({ maxLength: 64 })),
  /** Free space below the agent's low-disk threshold (DESIGN §4 alert "low disk"). */
  diskLow: Type.Optional(Type.Boolean()),
  /** How the board reaches the server, where it can tell (DESIGN §6). */
  linkType: Type.Optional(
    Type.Union([Type.Literal('ethernet'), Type.Literal('wifi'), Type.Literal('cellular'), Type.Literal('unknown')]),
  ),
  signalPercent: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  /** Under-voltage now, and since boot (Raspberry Pi `vcgencmd get_throttled`). */
  underVoltage: Type.Optional(Type.Boolean()),
  underVoltageSinceBoot: Type.Optional(Type.Boolean()),
});
export type TelemetryMessage = Static<typeof TelemetryMessage>;

// ── units/{id}/events and events/ack ─────────────────────────────────────────────────────────
export const EventType = Type.Union([
  Type.Literal('started'),
  Type.Literal('finished'),
  Type.Literal('failed'),
  Type.Literal('preempted'),
  Type.Literal('skipped'),
  Type.Literal('refused'),
  Type.Literal('fault'),
]);
export type EventType = Static<typeof EventType>;

export const UnitEvent = Type.Object({
  /** Unit-local sequence number, 1, 2, 3 … without gaps; survives restarts. */
  seq: Type.Integer({ minimum: 1 }),
  at: Instant,
  type: EventType,
  itemId: Type.Optional(Type.String({ maxLength: 200 })),
  bulletinId: Type.Optional(Type.String({ maxLength: 100 })),
  sha256: Type.Optional(Sha256),
  planVersion: Type.Optional(Type.Integer({ minimum: 0 })),
  /** The instant the item was planned for, so reports can compare planned and aired. */
  scheduledAt: Type.Optional(Instant),
  /** How long it actually sounded, on `finished`, `preempted` and `failed`. */
  durationMs: Type.Optional(Type.Integer({ minimum: 0 })),
  reason: Type.Optional(Type.String({ maxLength: 500 })),
});
export type UnitEvent = Static<typeof UnitEvent>;

export const EventsMessage = Type.Object({
  events: Type.Array(UnitEvent, { minItems: 1, maxItems: 200 }),
});
export type EventsMessage = Static<typeof EventsMessage>;

export const EventsAckMessage = Type.Object({ upTo: Type.Integer({ minimum: 0 }) });
export type EventsAckMessage = Static<typeof EventsAckMessage>;

// ── units/{id}/plan (signed, retained) ───────────────────────────────────────────────────────
export const MediaRef = Type.Object({
  sha256: Sha256,
  bytes: Type.Integer({ minimum: 1 }),
  durationMs: Type.Integer({ minimum: 1 }),
});
export type MediaRef = Static<typeof MediaRef>;

export const PlanWindow = Type.Object({ startAt: Instant, endAt: Instant });
export type PlanWindow = Static<typeof PlanWindow>;

export const PlanItem = Type.Object({
  /** Stable id of this airing: the same bulletin occurrence keeps its id across plan versions. */
  id: Type.String({ minLength: 1, maxLength: 200 }),
  bulletinId: Type.String({ minLength: 1, maxLength: 100 }),
  title: Type.Optional(Type.String({ maxLength: 300 })),
  level: Level,
  media: MediaRef,
  startAt: Instant,
  /** Rule 3: after this instant no unit plays the bulletin, even one offline since before. */
  validUntil: Instant,
  volume: Type.Integer({ minimum: 0, maximum: 100 }),
  /**
   * A relay (tiếp sóng, issue #8): the agent pulls this stream itself for `media.durationMs` from
   * the item's instant, instead of playing a cached file; `media.sha256` then names the URL only.
   */
  relay: Type.Optional(
    Type.Object({ url: Type.String({ pattern: '^https?://', maxLength: 2000 }) }, { additionalProperties: false }),
  ),
});
export type PlanItem = Static<typeof PlanItem>;

export const PlanBody = Type.Object({
  unit: UnitId,
  version: Type.Integer({ minimum: 1 }),
  issuedAt: Instant,
  expiresAt: Instant,
  /** Rule 1: the agent refuses any non-emergency item that does not lie inside one of these. */
  windows: Type.Array(PlanWindow, { maxItems: 1000 }),
  items: Type.Array(PlanItem, { maxItems: 5000 }),
  /** Amplifier warm-up before the first item of a window (rule 5). */
  warmupMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
});
export type PlanBody = Static<typeof PlanBody>;

// ── units/{id}/cmd (signed) and cmd/ack ─────────────────────────────────────────────────────
export const CommandType = Type.Union([
  Type.Literal('volume'),
  Type.Literal('mute'),
  Type.Literal('unmute'),
  Type.Literal('stop'),
  Type.Literal('play-now'),
  Type.Literal('test-tone'),
  Type.Literal('resync'),
  Type.Literal('reboot'),
  Type.Literal('live-start'),
  Type.Literal('live-stop'),
  Type.Literal('emergency'),
]);
export type CommandType = Static<typeof CommandType>;

export const CommandBody = Type.Object({
  unit: UnitId,
  id: Type.String({ minLength: 1, maxLength: 100 }),
  type: CommandType,
  args: Type.Record(Type.String(), Type.Unknown()),
  issuedAt: Instant,
  expiresAt: Instant,
});
export type CommandBody = Static<typeof CommandBody>;

export const CommandAck = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 100 }),
  ok: Type.Boolean(),
  error: Type.Optional(Type.String({ maxLength: 500 })),
});
export type CommandAck = Static<typeof CommandAck>;

// ── units/{id}/time and time/reply (NTP-style clock probe) ───────────────────────────────────
export const TimeProbe = Type.Object({ t0: Type.Number() });
export type TimeProbe = Static<typeof TimeProbe>;
export const TimeReply = Type.Object({ t0: Type.Number(), t1: Type.Number(), t2: Type.Number() });
export type TimeReply = Static<typeof TimeReply>;

// ── media/{sha256}/want ─────────────────────────────────────────────────────────────────────
export const MediaWant = Type.Object({
  unit: UnitId,
  /** Chunk indexes the agent already holds; the server sends the others. Empty: wants all. */
  have: Type.Array(Type.Integer({ minimum: 0 }), { maxItems: 100_000 }),
});
export type MediaWant = Static<typeof MediaWant>;

// ── the signed envelope of DESIGN §7 ────────────────────────────────────────────────────────
export const Envelope = Type.Object({
  body: Type.String({ maxLength: 4 * 1024 * 1024 }),
  sig: Type.String({ maxLength: 200 }),
  kid: Type.String({ maxLength: 100 }),
});
export type Envelope = Static<typeof Envelope>;
