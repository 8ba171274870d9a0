// Media to units on the shared chunk topics (DESIGN §3): agents say which chunks they hold on
// `media/{sha}/want`; the server gathers wants for a short while and publishes each missing chunk
// once on `media/{sha}/{index}/{count}`, for every unit that wants it. The broker does the fan-out,
// so the server's cost does not grow with the number of units.
//
// What keeps it at about one copy of the file when a whole fleet asks at once (issue #6):
// - a burst of wants is gathered until it settles (gatherMs of quiet, at most maxGatherMs);
// - a want that arrives while a round is being published needs only the chunks already sent: the
//   rest will reach that unit, which subscribed before it asked;
// - a chunk published after a unit's first want is on its way to that unit: its periodic wants
//   name it as missing until it lands. While the unit's `have` keeps growing between wants, the
//   chunks are still arriving and are not sent again; once it stops growing, a chunk the broker
//   took more than `resendAfterMs` ago is sent again (a unit that reconnected and lost it); and a
//   `have` that shrank means the unit threw its copy away (it did not hash): it is owed everything;
// - no round starts while plans are still going out (`holdWhile`, up to `maxHoldMs`): a new
//   bulletin's plan reaches thousands of units over seconds, each wants its media on receipt, and
//   a round started on the first wants must be sent again for every unit that subscribed after
//   it began (issue #10: 1.5–4.5 copies for 5,000 units, and the plans slowed behind the fan-out).
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { MediaWant, decoder, parseTopic, topics } from '@loa/shared';
import type { Bus } from '../broker/bus.js';
import type { LocalBroker } from '../broker/local-broker.js';

const wantDecoder = decoder(MediaWant);
/** State of a media nobody has asked about for this long is forgotten. */
const IDLE_MS = 10 * 60_000;

export interface DistributionStats {
  wantsReceived: number;
  /** Wants naming another unit than the one that sent them (dropped). */
  wantsRefused: number;
  roundsPublished: number;
  chunksPublished: number;
  bytesPublished: number;
}

interface MediaState {
  size: number;
  count: number;
  pending: Set<number>;
  timer: NodeJS.Timeout | undefined;
  firstWantAt: number;
  scheduled: boolean;
  /** Chunks of the round under way not yet handed to the broker. */
  ahead: Set<number> | undefined;
  issuedAt: Map<number, number>;
  /** When the broker acknowledged the last publish of each chunk. */
  ackedAt: Map<number, number>;
  /** Per unit: since when chunks published were on their way to it, and how many it said it had. */
  units: Map<string, { since: number; had: number }>;
  lastActivity: number;
}

export function mediaDistributor(opts: {
  bus: Bus;
  mediaDir: string;
  chunkBytes: number;
  gatherMs: number;
  maxGatherMs?: number;
  resendAfterMs?: number;
  /** True while more wants are sure to come (plans being published): the first round waits. */
  holdWhile?: () => boolean;
  /** The longest a round waits for `holdWhile`, from its first want. */
  maxHoldMs?: number;
  /** Size of a stored media file, or undefined when the server has no such media. */
  sizeOf(sha256: string): number | undefined;
  unitExists(unit: string): boolean;
  log: FastifyBaseLogger;
}) {
  const maxGatherMs = Math.max(opts.gatherMs, opts.maxGatherMs ?? opts.gatherMs * 8);
  const resendAfterMs = opts.resendAfterMs ?? 3000;
  const maxHoldMs = Math.max(maxGatherMs, opts.maxHoldMs ?? 30_000);
  const media = new Map<string, MediaState>();
  const stats: DistributionStats = {
    wantsReceived: 0,
    wantsRefused: 0,
    roundsPublished: 0,
    chunksPublished: 0,
    bytesPublished: 0,
  };
  /** When each sender was last warned about, so a misbehaving unit cannot flood the log. */
  const warnedAt = new Map<string, number>();
  let chain: Promise<void> = Promise.resolve();
  let closing = false;

  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const [sha, s] of media)
      if (!s.timer && !s.scheduled && !s.ahead && now - s.lastActivity > IDLE_MS) media.delete(sha);
  }, 60_000);
  sweeper.unref();

  async function publishRound(sha256: string, s: MediaState): Promise<void> {
    s.scheduled = false;
    if (closing || s.pending.size === 0) return;
    const indexes = [...s.pending].sort((a, b) => a - b);
    s.pending.clear();
    s.ahead = new Set(indexes);
    const file = await open(join(opts.mediaDir, `${sha256}.ogg`), 'r');
    try {
      for (const index of indexes) {
        if (closing) break;
        const length = Math.min(opts.chunkBytes, s.size - index * opts.chunkBytes);
        const buf = Buffer.allocUnsafe(length);
        await file.read(buf, 0, length, index * opts.chunkBytes);
        // Marked as sent when handed over: a want the server reads after this came from a unit
        // the broker had subscribed before it routes this chunk.
        s.issuedAt.set(index, Date.now());
        s.ahead.delete(index);
        // One at a time, each acknowledged by the broker: the fan-out sets the pace.
        await opts.bus.publish(topics.mediaChunk(sha256, index, s.count), buf, { qos: 1 });
        s.ackedAt.set(index, Date.now());
        stats.chunksPublished++;
        stats.bytesPublished += length;
      }
      stats.roundsPublished++;
      opts.log.debug({ sha256, chunks: indexes.length, units: s.units.size }, 'media: published a round');
    } finally {
      s.ahead = undefined;
      await file.close();
      s.lastActivity = Date.now();
      if (s.pending.size > 0) schedule(sha256, s, Date.now());
    }
  }

  function flush(sha256: string, s: MediaState) {
    s.timer = undefined;
    if (s.scheduled) return;
    if (opts.holdWhile?.() && Date.now() - s.firstWantAt < maxHoldMs) {
      // Looked at again shortly; the first want's instant is kept, so the hold has its bound.
      s.timer = setTimeout(() => flush(sha256, s), Math.max(opts.gatherMs, 50));
      return;
    }
    s.scheduled = true;
    // One media at a time: a burst of wants must not read every file at once.
    chain = chain
      .then(() => publishRound(sha256, s))
      .catch((err: Error) => opts.log.error({ sha256, err: err.message }, 'media: publishing chunks failed'));
  }

  function schedule(sha256: string, s: MediaState, now: number) {
    if (s.scheduled) return; // the queued round takes whatever is pending when it starts
    if (!s.timer) s.firstWantAt = now;
    else clearTimeout(s.timer);
    const wait = Math.max(0, Math.min(opts.gatherMs, s.firstWantAt + maxGatherMs - now));
    s.timer = setTimeout(() => flush(sha256, s), wait);
  }

  function stateOf(sha256: string): MediaState | undefined {
    let s = media.get(sha256);
    if (s) return s;
    const size = opts.sizeOf(sha256);
    if (size === undefined) return undefined;
    s = {
      size,
      count: Math.ceil(size / opts.chunkBytes),
      pending: new Set(),
      timer: undefined,
      firstWantAt: 0,
      scheduled: false,
      ahead: undefined,
      issuedAt: new Map(),
      ackedAt: new Map(),
      units: new Map(),
      lastActivity: Date.now(),
    };
    media.set(sha256, s);
    return s;
  }

  return {
    stats,
    /**
     * One `want`. `sender` is the unit the broker authenticated, when the server can know it (the
     * embedded broker: see attachWants); a want naming another unit is dropped, so one unit cannot
     * steer what is sent for another (issue #6). Without it (an external broker) the field is
     * all there is: the broker's ACL still keeps non-units out.
     */
    onWant(sha256: string, payload: Buffer, sender?: string) {
      const want = wantDecoder.decode(payload);
      if (!want.ok) return opts.log.warn({ sha256, reason: want.error }, 'media: dropped want');
      const { unit } = want.value;
      if (sender !== undefined && unit !== sender) {
        stats.wantsRefused++;
        const now = Date.now();
        if (now - (warnedAt.get(sender) ?? 0) > 60_000) {
          warnedAt.set(sender, now);
          opts.log.warn({ sha256, sender, named: unit }, 'media: dropped a want naming another unit than its sender');
        }
        return;
      }
      if (!opts.unitExists(unit)) return;
      const s = stateOf(sha256);
      if (!s) return opts.log.warn({ sha256, unit }, 'media: want for unknown media');
      stats.wantsReceived++;
      const now = Date.now();
      s.lastActivity = now;
      const have = new Set(want.value.have.filter((i) => i < s.count));
      let u = s.units.get(unit);
      if (!u) s.units.set(unit, (u = { since: now, had: 0 }));
      const progressing = have.size > u.had;
      if (have.size < u.had) u.since = now; // it discarded what it had: owed everything
      u.had = have.size;
      let added = false;
      for (let i = 0; i < s.count; i++) {
        if (have.has(i) || s.pending.has(i) || s.ahead?.has(i)) continue;
        const issued = s.issuedAt.get(i);
        const acked = s.ackedAt.get(i);
        const onItsWay =
          issued !== undefined &&
          issued > u.since &&
          (progressing || acked === undefined || acked < issued || now - acked < resendAfterMs);
        if (onItsWay) continue;
        s.pending.add(i);
        added = true;
      }
      // Any want while gathering extends the gather (up to its longest): more units, one round.
      if (added || s.timer) schedule(sha256, s, now);
    },
    /** Stops publishing (graceful shutdown): units ask again when the server is back. */
    async drain() {
      closing = true;
      clearInterval(sweeper);
      for (const s of media.values()) {
        clearTimeout(s.timer);
        s.timer = undefined;
      }
      await chain;
    },
  };
}

/** The broker pins a unit's client id to `loa-unit-{unit}` (broker/embedded.ts): that is who it is. */
const UNIT_CLIENT = /^loa-unit-([a-z0-9-]{3,64})$/;

/**
 * Routes the units' wants to the distributor. With the embedded broker the server sees who sent
 * each one, so wants are taken from the broker itself with their sender (the bus's copy of the
 * same message is ignored); with an external broker, from the bus, as they come.
 */
export function attachWants(
  bus: Bus,
  embedded: LocalBroker | undefined,
  distribution: Pick<ReturnType<typeof mediaDistributor>, 'onWant'>,
): void {
  if (!embedded) {
    bus.on('media-want', (t, payload) => {
      if (t.kind === 'media-want') distribution.onWant(t.sha256, payload);
    });
    return;
  }
  embedded.onWant((topic, payload, clientId) => {
    const t = parseTopic(topic);
    if (t?.kind !== 'media-want') return;
    // Only units may publish wants (the ACL); a client id of another shape is no unit: dropped.
    const sender = UNIT_CLIENT.exec(clientId)?.[1] ?? '';
    distribution.onWant(t.sha256, Buffer.from(payload), sender);
  });
}
