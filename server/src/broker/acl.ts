// Who may publish and subscribe to what (DESIGN §7). Pure functions, so the embedded broker's hooks
// and the exported Mosquitto ACL (scripts/broker, later) say the same thing.
import { TOPIC_PREFIX, isUnitId, parseTopic } from '@loa/shared';

export type BrokerIdentity = { kind: 'server' } | { kind: 'unit'; unit: string };

const UNIT_PUBLISH = new Set(['status', 'telemetry', 'events', 'cmd/ack', 'time']);
const UNIT_SUBSCRIBE = new Set(['plan', 'cmd', 'events/ack', 'time/reply']);

export function canPublish(who: BrokerIdentity, topic: string): boolean {
  if (who.kind === 'server') return true;
  const t = parseTopic(topic);
  if (!t) return false;
  if (t.kind === 'unit') return t.unit === who.unit && UNIT_PUBLISH.has(t.sub);
  return t.kind === 'media-want';
}

const SHA_OR_PLUS = /^([0-9a-f]{64}|\+)$/;
const LEVEL_OR_PLUS = /^(\d+|\+)$/;

export function canSubscribe(who: BrokerIdentity, filter: string): boolean {
  if (who.kind === 'server') return true;
  if (!filter.startsWith(TOPIC_PREFIX)) return false;
  const parts = filter.slice(TOPIC_PREFIX.length).split('/');
  if (parts[0] === 'units') {
    const sub = parts.slice(2).join('/');
    return parts[1] === who.unit && isUnitId(parts[1]) && UNIT_SUBSCRIBE.has(sub);
  }
  if (parts[0] === 'media') {
    // Chunks only (`media/{sha|+}/{i|+}/{n|+}`). Departs from DESIGN §7's `media/#` on purpose:
    // that filter also matches every other unit's `want`, which would send each unit the wants
    // of the whole fleet — traffic that grows with the square of the fleet, and a leak of unit ids.
    return (
      parts.length === 4 &&
      SHA_OR_PLUS.test(parts[1]!) &&
      LEVEL_OR_PLUS.test(parts[2]!) &&
      LEVEL_OR_PLUS.test(parts[3]!)
    );
  }
  if (parts[0] === 'live')
    return parts.length === 2 && (parts[1] === '#' || parts[1] === '+' || /^[A-Za-z0-9-]{1,64}$/.test(parts[1]!));
  return false;
}
