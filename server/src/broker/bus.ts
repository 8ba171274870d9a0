// The bus: the one way the control plane talks to units. Here, the server's MQTT client for an
// external broker (MQTT_URL) or broker nodes; on the embedded aedes the same interface works
// without a connection (in-process-bus.ts). Routes each incoming message by its parsed topic to
// the feature that owns it.
import mqtt, { type MqttClient } from 'mqtt';
import './packet-numbers.js';
import { parseTopic, serverSubscriptions, type ParsedTopic } from '@loa/shared';

export type MessageHandler = (topic: ParsedTopic, payload: Buffer) => void;

export interface Bus {
  publish(topic: string, payload: string | Buffer, opts?: { qos?: 0 | 1; retain?: boolean }): Promise<void>;
  /** Registers the handler for one kind of topic (unit topics are keyed `unit:<sub>`). */
  on(key: string, handler: MessageHandler): void;
  readonly connected: boolean;
  /**
   * Runs after every reconnect to the broker (not the first connect). Optional so that test
   * doubles of the bus need not have it.
   */
  onReconnect?(listener: () => void): void;
  close(): Promise<void>;
}

export function routeKey(t: ParsedTopic): string {
  return t.kind === 'unit' ? `unit:${t.sub}` : t.kind;
}

/**
 * Hands one incoming message to the feature that owns its topic (both buses: this client and
 * in-process-bus.ts). A topic of no feature is dropped; a handler's bug is logged, never thrown:
 * it must not take the control plane down with it.
 */
export function dispatch(
  handlers: ReadonlyMap<string, MessageHandler>,
  topic: string,
  payload: Buffer,
  log: { error(obj: object, msg: string): void },
): void {
  const parsed = parseTopic(topic);
  if (!parsed) return;
  const handler = handlers.get(routeKey(parsed));
  if (!handler) return;
  try {
    handler(parsed, payload);
  } catch (err) {
    log.error({ err, topic }, 'mqtt: handler failed');
  }
}

export async function connectBus(
  url: string,
  username: string | undefined,
  password: string | undefined,
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void },
): Promise<Bus> {
  const handlers = new Map<string, MessageHandler>();
  const client: MqttClient = mqtt.connect(url, {
    username,
    password,
    clientId: `loa-server-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
    clean: true,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    protocolVersion: 4,
  });
  client.on('message', (topic, payload) => dispatch(handlers, topic, payload, log));
  client.on('error', (err) => log.warn({ err: err.message }, 'mqtt: client error'));
  // A broker restarted without its retained messages (issue #10) must get them again from us.
  const reconnectListeners: Array<() => void> = [];
  let connectedBefore = false;
  client.on('connect', () => {
    if (connectedBefore) for (const fn of reconnectListeners) fn();
    connectedBefore = true;
  });
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => {
      client.end(true);
      reject(new Error(`cannot connect to the MQTT broker at ${url}: ${err.message}`));
    };
    client.once('connect', () => {
      client.off('error', fail);
      resolve();
    });
    client.once('error', fail);
  });
  await client.subscribeAsync([...serverSubscriptions], { qos: 1 });
  return {
    get connected() {
      return client.connected;
    },
    on(key, handler) {
      handlers.set(key, handler);
    },
    onReconnect(listener) {
      reconnectListeners.push(listener);
    },
    async publish(topic, payload, opts = {}) {
      await client.publishAsync(topic, payload, { qos: opts.qos ?? 1, retain: opts.retain ?? false });
    },
    // A QoS 1 publish whose PUBACK never comes would hold a graceful end for ever: give the
    // broker two seconds, then close the socket.
    close: async () => {
      const ended = client.endAsync();
      const timer = new Promise<'late'>((r) => setTimeout(() => r('late'), 2000).unref());
      if ((await Promise.race([ended, timer])) === 'late') await client.endAsync(true);
    },
  };
}
