// Fetches the media a plan needs (DESIGN §3): for each missing file, subscribe to its chunks and
// publish `want {unit, have}` until every chunk is held, then check the whole file's hash. The
// server publishes each chunk once for every unit that wants it; the broker fans it out.
// Room is made first by evicting media no plan needs (quota, LRU); a disk that fills up anyway
// (ENOSPC mid-download) pauses that download with one fault event, and the plan plays what it has.
import type { MediaWant } from '@loa/shared';
import { parseTopic, topics, type MediaRef } from '@loa/shared';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../log.js';
import type { MqttLink } from '../mqtt/link.js';
import type { EventSink } from '../events/event-queue.js';
import type { MediaStore } from './media-store.js';
import { isDiskFull } from './store-fs.js';

/** Far above the 256 KiB default; a bigger "chunk" is someone else's garbage. */
const MAX_CHUNK_BYTES = 16 * 1024 * 1024;
/** Room left on the card for the events, the plan and the system itself. */
export const DISK_RESERVE_BYTES = 32 * 1024 * 1024;

export interface MediaFetcherOptions {
  unit: string;
  store: MediaStore;
  link: MqttLink;
  events: EventSink;
  clock: Clock;
  log: Logger;
  wantIntervalMs?: number;
  /** Largest cache, in bytes; media outside `keep` are evicted to stay under it. */
  quotaBytes?: number;
  /** Media never evicted: those of the plan held (today's and tomorrow's) and the one playing. */
  keep?: () => ReadonlySet<string>;
}

interface Fetch {
  media: MediaRef;
  /** Chunks of one file are handled one at a time: writes, then at most one assembly. */
  queue: Promise<unknown>;
}

export class MediaFetcher {
  private readonly fetching = new Map<string, Fetch>();
  /** Media already reported as a fault, so a full disk is one event, not one every plan. */
  private readonly faulted = new Set<string>();
  private quotaReported = false;
  private readonly readyListeners: ((sha: string) => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private needed: MediaRef[] = [];

  constructor(private readonly opts: MediaFetcherOptions) {}

  start(): void {
    this.opts.link.onConnect(() => this.wantAll());
    this.timer = setInterval(
      () => void this.wantAll().catch((err: Error) => this.opts.log.warn(`asking for media failed: ${err.message}`)),
      this.opts.wantIntervalMs ?? 5000,
    );
  }

  stop(): void {
    clearInterval(this.timer);
    for (const sha of this.fetching.keys()) this.opts.link.unsubscribe(topics.mediaChunks(sha));
    this.fetching.clear();
  }

  onReady(fn: (sha: string) => void): void {
    this.readyListeners.push(fn);
  }

  get missing(): string[] {
    return [...this.fetching.keys()];
  }

  /** Sets what the current plan needs, soonest first; starts and stops fetches to match. */
  async setNeeded(media: MediaRef[]): Promise<void> {
    const { store, link, log } = this.opts;
    this.needed = media;
    const wanted = new Map(media.filter((m) => !store.has(m.sha256)).map((m) => [m.sha256, m]));
    for (const sha of [...this.fetching.keys()]) {
      if (wanted.has(sha)) continue;
      link.unsubscribe(topics.mediaChunks(sha));
      this.fetching.delete(sha);
    }
    const fresh = [...wanted.values()].filter((m) => !this.fetching.has(m.sha256));
    if (!fresh.length) return;
    let total = 0;
    for (const m of fresh) total += Math.max(0, m.bytes - (await store.partial(m.sha256)).bytes);
    const quota = this.opts.quotaBytes ?? Number.MAX_SAFE_INTEGER;
    const keep = this.keepSet();
    const evicted = await store.makeRoom(keep, total, quota, DISK_RESERVE_BYTES).catch((err: Error) => {
      log.warn(`cannot make room in the cache: ${err.message}`);
      return [];
    });
    if (evicted.length) log.info(`evicted ${evicted.length} media no plan needs (least recently used first)`);
    if (store.cacheBytes + total > quota && !this.quotaReported) {
      // The plan's own media are never evicted: it plays, over the quota, and the technician knows.
      this.quotaReported = true;
      await this.fault(
        `the plan's media need ${mb(store.cacheBytes + total)} MB, over the cache quota of ${mb(quota)} MB; keeping them anyway`,
      );
    }
    let free: number | undefined;
    try {
      free = (await store.freeBytes()) - DISK_RESERVE_BYTES;
    } catch (err) {
      log.warn(`cannot read free disk space: ${(err as Error).message}`);
    }
    for (const ref of fresh) {
      const sha = ref.sha256;
      const need = Math.max(0, ref.bytes - (await store.partial(sha)).bytes);
      if (free !== undefined && need > free) {
        if (!this.faulted.has(sha)) {
          this.faulted.add(sha);
          await this.fault(
            `not enough disk for media ${sha.slice(0, 12)}: needs ${need} bytes, ${Math.max(0, free)} free`,
            sha,
          );
        }
        continue;
      }
      if (free !== undefined) free -= need;
      this.fetching.set(sha, { media: ref, queue: Promise.resolve() });
      link.subscribe(topics.mediaChunks(sha), (topic, payload) => this.onChunk(topic, payload));
      await this.want(sha);
    }
  }

  /** `resync` command: forget past faults and want everything missing again. */
  async resync(): Promise<void> {
    this.faulted.clear();
    this.quotaReported = false;
    await this.setNeeded(this.needed);
    await this.wantAll();
  }

  private keepSet(): ReadonlySet<string> {
    const keep = new Set(this.opts.keep?.() ?? []);
    for (const m of this.needed) keep.add(m.sha256);
    return keep;
  }

  private async fault(reason: string, sha256?: string): Promise<void> {
    await this.opts.events.add({ type: 'fault', ...(sha256 ? { sha256 } : {}), reason: reason.slice(0, 500) });
  }

  private async wantAll(): Promise<void> {
    for (const sha of this.fetching.keys()) await this.want(sha);
  }

  private async want(sha: string): Promise<void> {
    const p = await this.opts.store.partial(sha);
    const want: MediaWant = { unit: this.opts.unit, have: [...p.have].sort((a, b) => a - b) };
    await this.opts.link.publishJson(topics.mediaWant(sha), want, { qos: 1 });
  }

  private onChunk(topic: string, payload: Buffer): void {
    const parsed = parseTopic(topic);
    if (parsed?.kind !== 'media-chunk') {
      this.opts.log.warn(`dropped media chunk: bad topic ${topic.slice(0, 200)}`);
      return;
    }
    const fetch = this.fetching.get(parsed.sha256);
    if (!fetch) return; // a chunk still in flight for a file already complete or no longer needed
    fetch.queue = fetch.queue
      .then(() => this.takeChunk(fetch, parsed.index, parsed.count, payload))
      .catch((err: Error) => this.onWriteError(fetch, err));
  }

  /** A failed write: a full disk pauses this download (retried when the plan's needs are set again). */
  private async onWriteError(fetch: Fetch, err: Error): Promise<void> {
    const { store, log, link } = this.opts;
    const sha = fetch.media.sha256;
    const short = sha.slice(0, 12);
    if (!isDiskFull(err)) {
      log.error(`media ${short}: ${err.message}`);
      return;
    }
    if (this.fetching.get(sha) !== fetch) return;
    this.fetching.delete(sha);
    link.unsubscribe(topics.mediaChunks(sha));
    store.forgetPartial(sha);
    const held = (await store.partial(sha)).bytes;
    log.error(`disk full while downloading media ${short}: paused with ${held} of ${fetch.media.bytes} bytes`);
    if (this.faulted.has(sha)) return;
    this.faulted.add(sha);
    await this.fault(
      `disk full while downloading media ${short} (${held} of ${fetch.media.bytes} bytes held, ${(err as NodeJS.ErrnoException).code}); the plan plays what is cached`,
      sha,
    );
  }

  private async takeChunk(fetch: Fetch, index: number, count: number, payload: Buffer): Promise<void> {
    const { store, log } = this.opts;
    const sha = fetch.media.sha256;
    if (this.fetching.get(sha) !== fetch) return;
    const short = sha.slice(0, 12);
    if (
      payload.length === 0 ||
      payload.length > Math.min(MAX_CHUNK_BYTES, fetch.media.bytes) ||
      count > fetch.media.bytes
    ) {
      log.warn(`dropped media chunk ${short} ${index}/${count}: ${payload.length} bytes is not a plausible chunk`);
      return;
    }
    const p = await store.writeChunk(sha, index, count, payload);
    if (p.bytes > fetch.media.bytes) {
      // More bytes than the plan says the file has: these chunks can never hash right.
      log.warn(`discarded media ${short}: chunks add up to more than its ${fetch.media.bytes} bytes`);
      await store.discardPartial(sha);
      await this.want(sha);
      return;
    }
    if (p.have.size < count) return;
    const result = await store.assemble(sha);
    if (!result.ok) {
      log.warn(`discarded media ${short}: the chunks hash to ${result.actual.slice(0, 12)}, wanting it again`);
      await this.want(sha);
      return;
    }
    this.fetching.delete(sha);
    this.faulted.delete(sha);
    this.opts.link.unsubscribe(topics.mediaChunks(sha));
    log.info(`media ${short} complete (${count} chunk${count > 1 ? 's' : ''}, ${fetch.media.bytes} bytes)`);
    for (const fn of this.readyListeners) fn(sha);
  }
}

function mb(bytes: number): number {
  return Math.round(bytes / 1024 / 1024);
}
