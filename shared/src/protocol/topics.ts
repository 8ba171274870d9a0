// MQTT topic names of protocol v1 (DESIGN §3). Every topic starts with `loa/v1/`; builders here are
// the only place that spells them, so the server, the agent and the broker ACL cannot drift apart.

export const TOPIC_PREFIX = 'loa/v1/';

/** Unit ids are `[a-z0-9-]{3,64}` (DESIGN §3): safe inside a topic level and a file name. */
export const UNIT_ID_PATTERN = '^[a-z0-9-]{3,64}$';
const UNIT_ID_RE = new RegExp(UNIT_ID_PATTERN);
const SHA256_RE = /^[0-9a-f]{64}$/;

export function isUnitId(value: string): boolean {
  return UNIT_ID_RE.test(value);
}

export function isSha256(value: string): boolean {
  return SHA256_RE.test(value);
}

export const topics = {
  status: (unit: string) => `${TOPIC_PREFIX}units/${unit}/status`,
  telemetry: (unit: string) => `${TOPIC_PREFIX}units/${unit}/telemetry`,
  events: (unit: string) => `${TOPIC_PREFIX}units/${unit}/events`,
  eventsAck: (unit: string) => `${TOPIC_PREFIX}units/${unit}/events/ack`,
  plan: (unit: string) => `${TOPIC_PREFIX}units/${unit}/plan`,
  cmd: (unit: string) => `${TOPIC_PREFIX}units/${unit}/cmd`,
  cmdAck: (unit: string) => `${TOPIC_PREFIX}units/${unit}/cmd/ack`,
  time: (unit: string) => `${TOPIC_PREFIX}units/${unit}/time`,
  timeReply: (unit: string) => `${TOPIC_PREFIX}units/${unit}/time/reply`,
  mediaWant: (sha256: string) => `${TOPIC_PREFIX}media/${sha256}/want`,
  mediaChunk: (sha256: string, index: number, count: number) => `${TOPIC_PREFIX}media/${sha256}/${index}/${count}`,
  /** Subscription filter for every chunk of one media file. */
  mediaChunks: (sha256: string) => `${TOPIC_PREFIX}media/${sha256}/+/+`,
  live: (session: string) => `${TOPIC_PREFIX}live/${session}`,
} as const;

/** Filters the server subscribes to. */
export const serverSubscriptions = [
  `${TOPIC_PREFIX}units/+/status`,
  `${TOPIC_PREFIX}units/+/telemetry`,
  `${TOPIC_PREFIX}units/+/events`,
  `${TOPIC_PREFIX}units/+/cmd/ack`,
  `${TOPIC_PREFIX}units/+/time`,
  `${TOPIC_PREFIX}media/+/want`,
] as const;

export type UnitTopicKind =
  'status' | 'telemetry' | 'events' | 'events/ack' | 'plan' | 'cmd' | 'cmd/ack' | 'time' | 'time/reply';

const UNIT_KINDS = new Set<string>([
  'status',
  'telemetry',
  'events',
  'events/ack',
  'plan',
  'cmd',
  'cmd/ack',
  'time',
  'time/reply',
]);

export type ParsedTopic =
  | { kind: 'unit'; unit: string; sub: UnitTopicKind }
  | { kind: 'media-want'; sha256: string }
  | { kind: 'media-chunk'; sha256: string; index: number; count: number }
  | { kind: 'live'; session: string };

/** Parses a concrete topic of protocol v1; returns undefined for anything else. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  if (!topic.startsWith(TOPIC_PREFIX)) return undefined;
  const parts = topic.slice(TOPIC_PREFIX.length).split('/');
  if (parts[0] === 'units' && parts.length >= 3) {
    const unit = parts[1]!;
    const sub = parts.slice(2).join('/');
    if (!isUnitId(unit) || !UNIT_KINDS.has(sub)) return undefined;
    return { kind: 'unit', unit, sub: sub as UnitTopicKind };
  }
  if (parts[0] === 'media' && parts.length >= 3) {
    const sha256 = parts[1]!;
    if (!isSha256(sha256)) return undefined;
    if (parts.length === 3 && parts[2] === 'want') return { kind: 'media-want', sha256 };
    if (parts.length === 4) {
      const index = Number(parts[2]);
      const count = Number(parts[3]);
      if (!/^\d+$/.test(parts[2]!) || !/^\d+$/.test(parts[3]!)) return undefined;
      if (count < 1 || index >= count) return undefined;
      return { kind: 'media-chunk', sha256, index, count };
    }
    return undefined;
  }
  if (parts[0] === 'live' && parts.length === 2 && /^[A-Za-z0-9-]{1,64}$/.test(parts[1]!)) {
    return { kind: 'live', session: parts[1]! };
  }
  return undefined;
}
