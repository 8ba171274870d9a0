// The embedded MQTT broker (aedes, the default of DESIGN §2). No anonymous client: every connection
// authenticates as the server or as one unit, and the ACL of acl.ts decides each publish/subscribe.
// A broker node (issue #10, ../broker-node) is this same broker with its state in Redis and its
// credentials checked there, so both keep exactly the same rules.
import { createServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { timingSafeEqual } from 'node:crypto';
import { Aedes, type Client } from 'aedes';
import './packet-numbers.js';
import { canPublish, canSubscribe, type BrokerIdentity } from './acl.js';
import { IndexedMemoryPersistence } from './retained-index.js';
import { embeddedFanOut } from './sliced-emitter.js';
import { TurnGate } from './turn-gate.js';

export const SERVER_USERNAME = 'loa-server';

export interface EmbeddedBrokerOptions {
  port: number;
  host: string;
  /** True when `password` is the server's own broker password. */
  verifyServer(password: string): boolean | Promise<boolean>;
  /** True when `secret` is the current secret of unit `unit`. */
  verifyUnit(unit: string, secret: string): boolean | Promise<boolean>;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** MQTTS beside plain MQTT (DESIGN §7): PEM certificate and key, and the port to listen on. */
  tls?: { cert: Buffer; key: Buffer; port: number; host: string };
  /**
   * Where aedes keeps retained messages, sessions and wills, and how it fans messages out: this
   * process's memory by default; Redis on a broker node (aedes-persistence-redis, mqemitter-redis).
   */
  persistence?: unknown;
  mq?: unknown;
  /** How the log names it ("embedded MQTT broker" by default). */
  name?: string;
}

export interface EmbeddedBroker {
  broker: Aedes;
  port: number;
  /** The MQTTS port, when TLS is on. */
  tlsPort: number | undefined;
  /** What clients publish, handled a budget per turn of the loop (turn-gate.ts). */
  input: TurnGate;
  /** Disconnects a unit at once (secret rotated or unit revoked). */
  disconnectUnit(unit: string): void;
  close(): Promise<void>;
}

const identities = new WeakMap<Client, BrokerIdentity>();

function authError(message: string, code: number): Error & { returnCode: number } {
  return Object.assign(new Error(message), { returnCode: code });
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const input = new TurnGate({
    onError: (err) => opts.log.warn({ err: (err as Error).message }, 'broker: a message could not be handled'),
  });
  const broker = await Aedes.createBroker({
    // Retained plans and statuses found by topic, not by a scan of all of them (issue #10).
    persistence: opts.persistence ?? new IndexedMemoryPersistence(),
    // A fan-out to thousands of units a slice per turn of the loop, not all at once (issue #10).
    mq: opts.mq ?? embeddedFanOut(),
    authenticate(client, username, password, done) {
      const secret = password ? password.toString('utf8') : '';
      if (!username || !secret) {
        opts.log.warn({ clientId: client.id }, 'broker: refused anonymous client');
        return done(authError('anonymous clients are not allowed', 4) as never, false);
      }
      const refuse = () => {
        opts.log.warn({ clientId: client.id, username }, 'broker: refused bad username or password');
        done(authError('bad username or password', 4) as never, false);
      };
      const isServer = username === SERVER_USERNAME;
      // The client id is pinned to the unit so that one unit cannot take over another's session.
      if (!isServer && client.id !== `loa-unit-${username}`) return refuse();
      const accept = () => {
        identities.set(client, isServer ? { kind: 'server' } : { kind: 'unit', unit: username });
        done(null, true);
      };
      const verdict = isServer ? opts.verifyServer(secret) : opts.verifyUnit(username, secret);
      // The embedded broker answers at once; a node asks Redis, and refuses while it cannot.
      if (typeof verdict === 'boolean') return verdict ? accept() : refuse();
      verdict.then(
        (ok) => (ok ? accept() : refuse()),
        (err: Error) => {
          opts.log.warn({ clientId: client.id, err: err.message }, 'broker: cannot check credentials now');
          done(authError('credentials cannot be checked now', 3) as never, false);
        },
      );
    },
    authorizePublish(client, packet, done) {
      const decide = () => {
        const who = client ? identities.get(client) : { kind: 'server' as const };
        if (who && canPublish(who, packet.topic)) return done(null);
        opts.log.warn({ clientId: client?.id, topic: packet.topic }, 'broker: refused publish');
        return done(new Error('publish not allowed'));
      };
      // A client's message, and all it sets off (its PUBACK, the fan-out, the server's handling),
      // waits its turn when a burst has used this turn's budget (turn-gate.ts).
      if (client) input.run(decide);
      else decide();
    },
    authorizeSubscribe(client, sub, done) {
      const who = identities.get(client);
      if (who && canSubscribe(who, sub.topic)) return done(null, sub);
      opts.log.warn({ clientId: client.id, topic: sub.topic }, 'broker: refused subscribe');
      // A null subscription tells the client "failure" (SUBACK 0x80) without dropping it.
      return done(null, null);
    },
  });
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const name = opts.name ?? 'embedded MQTT broker';
  opts.log.info({ port }, `${name} listening`);
  let tlsServer: ReturnType<typeof createTlsServer> | undefined;
  let tlsPort: number | undefined;
  if (opts.tls) {
    const tls = opts.tls;
    tlsServer = createTlsServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, broker.handle);
    // A client failing the handshake (wrong CA, plain MQTT on the TLS port) is its problem, not ours.
    tlsServer.on('tlsClientError', (err) => opts.log.warn({ err: err.message }, 'broker: TLS handshake failed'));
    await new Promise<void>((resolve, reject) => {
      tlsServer!.once('error', reject);
      tlsServer!.listen(tls.port, tls.host, () => {
        tlsServer!.off('error', reject);
        resolve();
      });
    });
    const a = tlsServer.address();
    tlsPort = typeof a === 'object' && a ? a.port : tls.port;
    opts.log.info({ port: tlsPort }, `${name} listening with TLS (MQTTS)`);
  }
  return {
    broker,
    port,
    tlsPort,
    input,
    disconnectUnit(unit) {
      const client = (broker as unknown as { clients: Record<string, Client> }).clients[`loa-unit-${unit}`];
      client?.close();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close();
        tlsServer?.close();
        broker.close(() => resolve());
      }),
  };
}
