// The agent's MQTT connection. Adds nothing magic: it sets the retained will, refuses wildcards in
// publishes, re-subscribes after every connect (clean sessions), and reconnects forever with a
// backoff. A refused connection (wrong secret) is a log line and a retry, never a crash.
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../log.js';
import { hasWildcard, topicMatches } from './topic-match.js';

export type MessageHandler = (topic: string, payload: Buffer) => void | Promise<void>;

export interface LinkOptions {
  url: string;
  unit: string;
  secret: string;
  will: { topic: string; payload: string };
  log: Logger;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface PublishOptions {
  qos: 0 | 1;
  retain?: boolean;
}

// MQTT 3.1.1 CONNACK return codes (mqtt.js names them with the MQTT 5 table, which differs).
const REFUSALS: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'client id rejected',
  3: 'server unavailable',
  4: 'bad username or password',
  5: 'not authorized',
};

export class MqttLink {
  private client: MqttClient | undefined;
  private readonly handlers = new Map<string, MessageHandler>();
  private readonly connectListeners: (() => void | Promise<void>)[] = [];
  private stopping = false;
  private failures = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private lastError = '';
  /** Publishes waiting for their PUBACK: each settles as not sent when the connection closes. */
  private readonly inFlight = new Set<() => void>();

  constructor(private readonly opts: LinkOptions) {}

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** Runs after every successful connect, once subscriptions are in place. */
  onConnect(fn: () => void | Promise<void>): void {
    this.connectListeners.push(fn);
  }

  start(): void {
    const { url, unit, secret, will } = this.opts;
    this.stopping = false;
    this.client = mqtt.connect(url, {
      clientId: `loa-unit-${unit}`,
      username: unit,
      password: secret,
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      connectTimeout: 10_000,
      // Reconnection is ours, with a backoff; mqtt.js would retry a refused secret every second.
      reconnectPeriod: 0,
      resubscribe: false,
      // mqtt-packet would otherwise pre-build 65,536 two-byte buffers (~6 MB of heap) to save an
      // allocation per packet: the wrong trade on a board that sends a few packets a minute.
      writeCache: false,
      will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: true },
    });
    this.client.on('connect', () => void this.connected_());
    this.client.on('message', (topic, payload) => this.dispatch(topic, payload));
    this.client.on('error', (err) => this.onError(err as Error & { code?: number | string }));
    this.client.on('close', () => {
      this.linkFell();
      this.scheduleReconnect();
    });
  }

  subscribe(filter: string, handler: MessageHandler): void {
    const fresh = !this.handlers.has(filter);
    this.handlers.set(filter, handler);
    if (fresh && this.connected) void this.subscribeAll([filter]);
  }

  unsubscribe(filter: string): void {
    if (!this.handlers.delete(filter)) return;
    if (this.connected) this.client?.unsubscribeAsync(filter).catch(() => undefined);
  }

  /**
   * Publishes when connected; returns false otherwise. Callers that must deliver (events, wants)
   * keep their own durable state and send again on reconnect, so nothing piles up offline here.
   */
  async publish(topic: string, payload: string | Buffer, opts: PublishOptions): Promise<boolean> {
    // A wildcard in a publish topic is a bug in the agent, not a runtime condition.
    if (hasWildcard(topic)) throw new TypeError(`refusing to publish to a wildcard topic: ${topic}`);
    const client = this.client;
    if (!client?.connected) return false;
    // A QoS 1 publish whose connection falls before its PUBACK is kept by mqtt.js to be sent again,
    // and some are never sent nor settled (seen in the flapping-link drill, issue #10): a caller
    // awaiting one would wait for ever (the event publisher stopped sending for good). It counts
    // as not sent once the connection closes; callers that must deliver send again on reconnect.
    let fell = (): void => undefined;
    const linkFell = new Promise<false>((resolve) => {
      fell = () => resolve(false);
      this.inFlight.add(fell);
    });
    try {
      return await Promise.race([
        client.publishAsync(topic, payload, { qos: opts.qos, retain: opts.retain ?? false }).then(() => true),
        linkFell,
      ]);
    } catch (err) {
      this.opts.log.debug(`publish to ${topic} failed: ${(err as Error).message}`);
      return false;
    } finally {
      this.inFlight.delete(fell);
    }
  }

  /** Settles every publish still waiting for its PUBACK as not sent. */
  private linkFell(): void {
    for (const fell of this.inFlight) fell();
    this.inFlight.clear();
  }

  publishJson(topic: string, value: unknown, opts: PublishOptions): Promise<boolean> {
    return this.publish(topic, JSON.stringify(value), opts);
  }

  /** Publishes `last` (the retained offline status) if connected, then disconnects cleanly. */
  async stop(last?: { topic: string; payload: string }): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const client = this.client;
    if (!client) return;
    if (client.connected && last) {
      await withTimeout(this.publish(last.topic, last.payload, { qos: 1, retain: true }), 2000);
    }
    await withTimeout(client.endAsync(!client.connected), 2000).catch(() => undefined);
    client.end(true);
    this.linkFell();
    client.removeAllListeners();
    // mqtt.js may still emit a late stream error after `end`; nothing must crash the agent then.
    client.on('error', () => undefined);
    this.client = undefined;
  }

  private async connected_(): Promise<void> {
    this.failures = 0;
    this.lastError = '';
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.opts.log.info(`connected to ${redact(this.opts.url)} as ${this.opts.unit}`);
    await this.subscribeAll([...this.handlers.keys()]);
    for (const fn of this.connectListeners) {
      try {
        await fn();
      } catch (err) {
        this.opts.log.error(`on-connect step failed: ${(err as Error).message}`);
      }
    }
  }

  private async subscribeAll(filters: string[]): Promise<void> {
    if (!filters.length || !this.client) return;
    try {
      const granted = await this.client.subscribeAsync(filters, { qos: 1 });
      for (const g of granted) {
        if (g.qos === 128) this.opts.log.warn(`the broker refused the subscription to ${g.topic}`);
      }
    } catch (err) {
      if (!this.stopping) this.opts.log.warn(`subscribe failed: ${(err as Error).message}`);
    }
  }

  private dispatch(topic: string, payload: Buffer): void {
    for (const [filter, handler] of this.handlers) {
      if (!topicMatches(filter, topic)) continue;
      try {
        const result = handler(topic, payload);
        if (result instanceof Promise) {
          result.catch((err: Error) => this.opts.log.error(`handler of ${topic} failed: ${err.message}`));
        }
      } catch (err) {
        this.opts.log.error(`handler of ${topic} failed: ${(err as Error).message}`);
      }
    }
  }

  private onError(err: Error & { code?: number | string }): void {
    const refusal = typeof err.code === 'number' ? REFUSALS[err.code] : undefined;
    const text = refusal
      ? `the broker refused unit ${this.opts.unit}: ${refusal}`
      : `connection to ${redact(this.opts.url)} failed: ${err.message || err.code}`;
    // The same failure every backoff step is worth one line per attempt only while it changes.
    if (text !== this.lastError || this.failures % 10 === 0) this.opts.log.warn(text);
    this.lastError = text;
  }

  private scheduleReconnect(): void {
    if (this.stopping || !this.client || this.reconnectTimer) return;
    const min = this.opts.minBackoffMs ?? 1000;
    const max = this.opts.maxBackoffMs ?? 60_000;
    const delay = Math.min(max, min * 2 ** Math.min(this.failures, 16)) * (0.8 + Math.random() * 0.4);
    this.failures++;
    this.opts.log.debug(`reconnecting in ${Math.round(delay)} ms`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.stopping) this.client?.reconnect();
    }, delay);
  }
}

/** Never log a password embedded in a broker URL. */
function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([p, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref())]);
}
