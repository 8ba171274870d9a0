// aedes-persistence-redis for aedes 1.2 (issue #10). Version 12 is the one built on the same
// aedes-persistence (11) as aedes 1.2 — version 11 still sits on aedes-persistence 10 — but it
// hands out its retained messages, offline queues and wills as async generators, the shape of
// aedes 2, while aedes 1.2 pipes them (`stream.pipe`, a TypeError on a generator: no subscriber
// would ever get a retained plan). Each is wrapped back into the Node stream aedes 1.2 expects.
//
// And retained messages found by topic, as on the embedded broker (retained-index.ts): the library
// answers a wildcard filter with an HSCAN of every retained message, ten at a time, so each unit
// fetching a media (`media/{sha}/+/+`) walked a province's retained plans and statuses — measured
// at 10,000 retained, 40 ms and 25 ms of CPU per subscription, O(units²) for a fleet-wide bulletin.
// Here a sorted set of the retained topics (all at score 0, so ordered by name) gives the topics
// under a filter's fixed prefix with one ZRANGEBYLEX; the library then reads those by name.
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import type { Redis } from 'ioredis';
import { topicMatches } from '../broker/acl.js';
import { withFloatingCommandsHandled } from './floating-commands.js';

/** Sorted set of every topic that holds a retained message (the library keeps them in the `retained` hash). */
export const RETAINED_TOPICS_KEY = 'loa:broker:retained-topics';
const RETAINED_HASH = 'retained'; // aedes-persistence-redis's own key (single Redis, not a Redis Cluster)

interface RetainedPacket {
  topic: string;
  payload: Buffer;
}

interface RedisPersistenceBase {
  setup(broker: unknown): Promise<void>;
  putWill(client: { id: string }, packet: object): Promise<void>;
  getWill(client: { id: string }): Promise<{ topic: string } | null>;
  delWill(client: { id: string; brokerId: string }): Promise<unknown>;
  storeRetained(packet: RetainedPacket): Promise<void>;
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<unknown> | Iterable<unknown>;
  createRetainedStream(pattern: string): AsyncIterable<unknown> | Iterable<unknown>;
  outgoingStream(client: unknown): AsyncIterable<unknown> | Iterable<unknown>;
  streamWill(brokers?: unknown): AsyncIterable<unknown> | Iterable<unknown>;
  getClientList(topic: string): AsyncIterable<unknown> | Iterable<unknown>;
}

// The library's async persistence (what aedes 1.x wants: an async `setup`); its default export
// wraps it in callbacks for older aedes. It has no type declarations.
const require = createRequire(import.meta.url);
const Base = require('aedes-persistence-redis/asyncPersistence.js') as new (opts: {
  conn: Redis;
}) => RedisPersistenceBase;

const isWildcard = (level: string) => level === '+' || level === '#';
const hasWildcard = (filter: string) => filter.split('/').some(isWildcard);

export class RedisPersistence extends Base {
  private readonly db: Redis;

  constructor(opts: { conn: Redis }) {
    const conn = withFloatingCommandsHandled(opts.conn);
    super({ conn });
    this.db = conn;
  }

  override async setup(broker: unknown): Promise<void> {
    await super.setup(broker);
    // Retained messages stored without the index (by an older node, or a node that died between
    // the two writes) are indexed again; an index entry whose message is gone is only skipped.
    const [indexed, retained] = await Promise.all([this.db.zcard(RETAINED_TOPICS_KEY), this.db.hlen(RETAINED_HASH)]);
    if (indexed >= retained) return;
    const topics = await this.db.hkeys(RETAINED_HASH);
    for (let i = 0; i < topics.length; i += 1000)
      await this.db.zadd(RETAINED_TOPICS_KEY, ...topics.slice(i, i + 1000).flatMap((t) => [0, t]));
  }

  override async storeRetained(packet: RetainedPacket): Promise<void> {
    await super.storeRetained(packet);
    if (packet.payload.length === 0) await this.db.zrem(RETAINED_TOPICS_KEY, packet.topic);
    else await this.db.zadd(RETAINED_TOPICS_KEY, 0, packet.topic);
  }

  override createRetainedStreamCombi(patterns: string[]): Readable {
    return Readable.from(this.retained(patterns));
  }

  override createRetainedStream(pattern: string): Readable {
    return Readable.from(this.retained([pattern]));
  }

  /** Every wildcard filter turned into the topics it matches; the library reads those by name. */
  private async *retained(patterns: string[]): AsyncGenerator<unknown> {
    const topics = new Set(patterns.filter((p) => !hasWildcard(p)));
    for (const filter of patterns.filter(hasWildcard)) {
      for (const topic of await this.topicsUnder(filter)) if (topicMatches(filter, topic)) topics.add(topic);
    }
    if (topics.size) yield* super.createRetainedStreamCombi([...topics]);
  }

  private async topicsUnder(filter: string): Promise<string[]> {
    const levels = filter.split('/');
    const fixed = levels.slice(0, levels.findIndex(isWildcard)).join('/');
    // Wildcards in the first level never match topics starting with `$` (MQTT 3.1.1 §4.7.2).
    if (!fixed) return (await this.db.zrange(RETAINED_TOPICS_KEY, 0, -1)).filter((t) => !t.startsWith('$'));
    // `a/#` matches `a` itself too, hence the prefix without its slash; topicMatches sorts out `ab/…`.
    // The range ends at the byte 0xff, above any byte of UTF-8 text.
    const end = Buffer.concat([Buffer.from(`[${fixed}`), Buffer.from([0xff])]);
    return this.db.zrangebylex(RETAINED_TOPICS_KEY, `[${fixed}`, end);
  }

  override outgoingStream(client: unknown): Readable {
    return Readable.from(super.outgoingStream(client));
  }

  override streamWill(brokers?: unknown): Readable {
    return Readable.from(super.streamWill(brokers));
  }

  override getClientList(topic: string): Readable {
    return Readable.from(super.getClientList(topic));
  }
}
