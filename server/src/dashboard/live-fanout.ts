// Fans hub events out to the dashboard sockets of signed-in people (issue #5): each message is JSON
// `{type, ...payload}` — unit-status, unit-telemetry, plan-published, events-stored, alert,
// command-ack, ingest-progress. Every client sees only what its permissions allow and only the units of
// its communes; telemetry is coalesced per unit so sixty — or five thousand — clusters reporting
// every 30 s cannot flood an old laptop on a phone connection.
import type { Hub, HubEvents } from '../hub.js';

/**
 * Units whose coalesced telemetry goes out in one turn of the event loop. Issue #10: 5,000 units
 * sent at once held the loop for about 100 ms every two seconds; slices of this many leave MQTT
 * and the API room between them.
 */
export const TELEMETRY_SLICE = 250;

/** What one connected person may see. `communeIds: null` means every commune. */
export interface ClientScope {
  userId: number;
  communeIds: readonly string[] | null;
  can(permission: string): boolean;
}

export interface LiveClient {
  scope: ClientScope;
  /** Bytes queued in the socket and not yet sent: a slow link first loses telemetry, then the socket. */
  bufferedAmount(): number;
  send(text: string): void;
  /** Close with a code the web app understands (4409: too far behind, reconnect and reload). */
  close(code: number, reason: string): void;
}

// Single unit events stay on the server (alert rules); browsers learn of them as 'events-stored'.
// An emergency's start is for the live sessions; browsers see its commands' acks.
type Forwarded = Exclude<keyof HubEvents, 'unit-event' | 'emergency-started'>;

/** The permission needed to see each kind of event (contract of issue #4). */
const NEEDS: Record<Forwarded, string> = {
  'unit-status': 'units:read',
  'unit-telemetry': 'units:read',
  'plan-published': 'schedule:read',
  alert: 'alerts:read',
  'command-ack': 'units:read',
  'ingest-progress': 'media:read',
  // New play-log entries of a unit: the unit page reloads its proof of broadcast.
  'events-stored': 'playlog:read',
};

export interface FanoutOptions {
  /** Which commune a unit belongs to; undefined for a unit that does not exist (any more). */
  communeOf(unitId: string): string | undefined;
  /** Telemetry of one unit is sent at most once per this many ms (the latest sample wins). */
  telemetryEveryMs?: number;
  /** Above this backlog a client skips telemetry; above four times it, the socket is closed. */
  maxBufferedBytes?: number;
}

export function liveFanout(hub: Hub, opts: FanoutOptions) {
  const telemetryEveryMs = opts.telemetryEveryMs ?? 2000;
  const maxBuffered = opts.maxBufferedBytes ?? 512 * 1024;
  const clients = new Set<LiveClient>();
  const pendingTelemetry = new Map<string, HubEvents['unit-telemetry']>();

  function visible(client: LiveClient, type: Forwarded, unitId: string | null, ownerId?: unknown): boolean {
    const { scope } = client;
    if (!scope.can(NEEDS[type])) return false;
    // An ingest job belongs to whoever started it, when the announcer says who that was.
    if (typeof ownerId === 'number' && ownerId !== scope.userId) return false;
    if (unitId === null || scope.communeIds === null) return true;
    const commune = opts.communeOf(unitId);
    return commune !== undefined && scope.communeIds.includes(commune);
  }

  function deliver(type: Forwarded, payload: object, unitId: string | null, droppable: boolean, ownerId?: unknown) {
    if (clients.size === 0) return;
    const text = JSON.stringify({ type, ...payload });
    for (const client of clients) {
      if (!visible(client, type, unitId, ownerId)) continue;
      const backlog = client.bufferedAmount();
      if (backlog > maxBuffered * 4) {
        // Too far behind to catch up by skipping: the app reconnects and reloads what it shows.
        clients.delete(client);
        client.close(4409, 'too far behind');
        continue;
      }
      if (droppable && backlog > maxBuffered) continue;
      client.send(text);
    }
  }

  const offs = [
    hub.on('unit-status', (p) => deliver('unit-status', p, p.unitId, false)),
    hub.on('unit-telemetry', (p) => {
      if (clients.size > 0) pendingTelemetry.set(p.unitId, p);
    }),
    hub.on('plan-published', (p) => deliver('plan-published', p, p.unitId, false)),
    hub.on('events-stored', (p) => deliver('events-stored', p, p.unitId, true)),
    hub.on('alert', (p) => deliver('alert', p, p.unitId, false)),
    hub.on('command-ack', (p) => deliver('command-ack', p, p.unitId, false)),
    hub.on('ingest-progress', (p) => deliver('ingest-progress', p, null, true, p.userId)),
  ];

  function takeTelemetry() {
    const batch = [...pendingTelemetry.values()];
    pendingTelemetry.clear();
    return batch;
  }
  function flushTelemetry() {
    for (const p of takeTelemetry()) deliver('unit-telemetry', p, p.unitId, true);
  }
  let stopped = false;
  function flushInSlices() {
    const batch = takeTelemetry();
    const slice = () => {
      if (stopped) return;
      for (const p of batch.splice(0, TELEMETRY_SLICE)) deliver('unit-telemetry', p, p.unitId, true);
      if (batch.length) setImmediate(slice);
    };
    slice();
  }
  const timer = setInterval(flushInSlices, telemetryEveryMs);
  timer.unref();

  return {
    add(client: LiveClient): () => void {
      clients.add(client);
      return () => clients.delete(client);
    },
    get size() {
      return clients.size;
    },
    /** Sends what is pending now (tests, and a clean close). */
    flushTelemetry,
    stop() {
      stopped = true;
      clearInterval(timer);
      for (const off of offs) off();
      clients.clear();
      pendingTelemetry.clear();
    },
  };
}
export type LiveFanout = ReturnType<typeof liveFanout>;
