// A broker node (DESIGN §8, issue #10): the embedded broker of ../broker — the same sign-in rules
// and the same ACL — with its state in Redis, so that several nodes behind a TCP load balancer act
// as one broker. mqemitter-redis carries every publish to the nodes whose clients subscribed to
// it; aedes-persistence-redis keeps retained messages (plans, statuses), sessions and wills there,
// so a node restarted, or a unit moving to another node, finds them again.
import type { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import MQEmitterRedis from 'mqemitter-redis';
import { connectRedis } from '../broker/cluster.js';
import { startEmbeddedBroker } from '../broker/embedded.js';
import type { BrokerNodeConfig } from './config.js';
import { followDisconnects, redisCredentials } from './credentials.js';
import { numberedAtFanOut } from './fan-out.js';
import { withFloatingCommandsHandled } from './floating-commands.js';
import { RedisPersistence } from './persistence.js';

export interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface BrokerNode {
  /** The plain MQTT port, and the MQTTS one when TLS is on. */
  port: number;
  tlsPort: number | undefined;
  close(): Promise<void>;
}

export async function startBrokerNode(config: BrokerNodeConfig, log: Log): Promise<BrokerNode> {
  const url = config.redisUrl;
  // Sign-ins and disconnect requests get connections of their own (a blocking read holds one).
  const commands = await connectRedis(url, 'loa-broker-node', log);
  const stream = await connectRedis(url, 'loa-broker-node-disconnects', log);
  // The persistence keeps ioredis's patient default: a lost write there is a lost message.
  const store = await connectRedis(url, 'loa-broker-node-persistence', log, 20);
  const persistence = new RedisPersistence({ conn: store });
  // The fan-out's own connections, given to it so that the commands it sends without waiting (its
  // QUIT when it closes) cannot end the process (floating-commands.ts); patient like the store's.
  const [subConn, pubConn] = await Promise.all(
    ['loa-broker-node-fan-out-sub', 'loa-broker-node-fan-out-pub'].map(async (name) =>
      withFloatingCommandsHandled(await connectRedis(url, name, log, 20)),
    ),
  );
  // Numbered as it goes out, not as it came in: a retained message waits for Redis, and one
  // overtaken would be dropped by its receivers as a duplicate (fan-out.ts).
  const mq = numberedAtFanOut(
    MQEmitterRedis({
      subConn,
      pubConn,
      // As aedes configures its own in-memory emitter: `a/#` also matches `a` (MQTT 3.1.1 §4.7.1.2).
      matchEmptyLevels: true,
    }),
  );
  // The emitter re-emits its connections' errors, and its failed publishes, on `state` (not in its
  // typings): with no listener there, a Redis outage would throw and end the node instead of being
  // retried. Once per kind of failure: every reconnect attempt repeats the connection's error.
  let lastFanOutError = '';
  (mq as unknown as { state: EventEmitter }).state.on('error', (err: Error) => {
    if (err.message !== lastFanOutError) log.warn({ err: err.message }, 'broker node: Redis fan-out failed');
    lastFanOutError = err.message;
  });
  const credentials = redisCredentials(commands);
  const tls = config.tls
    ? { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) }
    : undefined;
  const broker = await startEmbeddedBroker({
    port: config.mqttPort,
    host: config.mqttHost,
    verifyServer: credentials.verifyServer,
    verifyUnit: credentials.verifyUnit,
    log,
    ...(tls ? { tls: { ...tls, port: config.mqttsPort, host: config.mqttsHost } } : {}),
    persistence,
    mq,
    name: 'MQTT broker node',
  });
  // Redis trouble while clearing wills of dead nodes must not end this one.
  (broker.broker as EventEmitter).on('error', (err: Error) =>
    log.error({ err: err.message }, 'broker node: aedes error'),
  );
  const follower = await followDisconnects(stream, (unit) => broker.disconnectUnit(unit), log);
  return {
    port: broker.port,
    tlsPort: broker.tlsPort,
    async close() {
      follower.stop();
      await broker.close(); // closes the clients, then the fan-out connections
      await Promise.all([store.quit(), commands.quit()].map((p) => p.catch(() => undefined)));
    },
  };
}
