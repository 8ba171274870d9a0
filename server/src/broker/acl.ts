// Who may publish and subscribe to what (DESIGN §7), written once as a table of MQTT patterns in
// Mosquitto's own terms (`%u` = the unit's user name), so that the embedded broker's hooks and the
// exported Mosquitto ACL (scripts/broker) are the same rules, not two copies that drift apart.
import { TOPIC_PREFIX, isUnitId, parseTopic } from '@loa/shared';

export type BrokerIdentity = { kind: 'server' } | { kind: 'unit'; unit: string };

export const UNIT_ACL = {
  /** What a unit may publish: only under its own id, and what it still misses of a media file. */
  publish: [
    'units/%u/status',
    'units/%u/telemetry',
    'units/%u/events',
    'units/%u/cmd/ack',
    'units/%u/time',
    'media/+/want',
  ],
  /**
   * What a unit may subscribe to. Media: chunks only (`media/{sha}/{i}/{n}`). Departs from
   * DESIGN §7's `media/#` on purpose: that filter also matches every other unit's `want`, which
   * would send each unit the wants of the whole fleet — traffic that grows with the square of the
   * fleet, and a leak of unit ids.
   */
  subscribe: ['units/%u/plan', 'units/%u/cmd', 'units/%u/events/ack', 'units/%u/time/reply', 'media/+/+/+', 'live/#'],
} as const;

/** The patterns of `UNIT_ACL` for one unit, with the topic prefix. */
export function unitPatterns(kind: 'publish' | 'subscribe', unit: string): string[] {
  return UNIT_ACL[kind].map((p) => TOPIC_PREFIX + p.replace('%u', unit));
}

/** True when the MQTT filter `pattern` matches the concrete `topic`. */
export function topicMatches(pattern: string, topic: string): boolean {
  const p = pattern.split('/');
  const t = topic.split('/');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '#') return true;
    if (i >= t.length) return false;
    if (p[i] !== '+' && p[i] !== t[i]) return false;
  }
  return p.length === t.length;
}

/** True when every topic `filter` can match is also matched by `pattern` (Mosquitto's rule). */
export function filterCovered(pattern: string, filter: string): boolean {
  const p = pattern.split('/');
  const f = filter.split('/');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '#') return true;
    if (i >= f.length || f[i] === '#') return false;
    if (p[i] === '+') continue;
    if (f[i] !== p[i]) return false;
  }
  return p.length === f.length;
}

const SHA_OR_PLUS = /^([0-9a-f]{64}|\+)$/;
const INDEX_OR_PLUS = /^(\d{1,9}|\+)$/;
const SESSION_OR_WILD = /^([A-Za-z0-9-]{1,64}|\+|#)$/;

/**
 * Stricter than Mosquitto can say, and harmless to add: wildcard levels aside, a media filter
 * names a hash and chunk numbers, and a live filter a session id.
 */
function wellFormedFilter(filter: string): boolean {
  const parts = filter.slice(TOPIC_PREFIX.length).split('/');
  if (parts[0] === 'media')
    return SHA_OR_PLUS.test(parts[1] ?? '') && parts.slice(2).every((x) => INDEX_OR_PLUS.test(x));
  if (parts[0] === 'live') return parts.length === 2 && SESSION_OR_WILD.test(parts[1]!);
  return true;
}

export function canPublish(who: BrokerIdentity, topic: string): boolean {
  if (who.kind === 'server') return true;
  // A topic the protocol does not know is refused even where a pattern would allow it.
  if (!parseTopic(topic)) return false;
  return isUnitId(who.unit) && unitPatterns('publish', who.unit).some((p) => topicMatches(p, topic));
}

export function canSubscribe(who: BrokerIdentity, filter: string): boolean {
  if (who.kind === 'server') return true;
  if (!filter.startsWith(TOPIC_PREFIX) || !isUnitId(who.unit)) return false;
  return unitPatterns('subscribe', who.unit).some((p) => filterCovered(p, filter)) && wellFormedFilter(filter);
}
