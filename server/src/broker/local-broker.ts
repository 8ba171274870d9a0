// What the rest of the server sees of its own embedded broker, wherever it runs: in the server's
// thread (embedded.ts with in-process-bus.ts) or in a worker thread (thread/broker-thread.ts).
import type { EmbeddedBroker } from './embedded.js';

export type WantHandler = (topic: string, payload: Buffer, clientId: string) => void;

/** What the broker's own thread reports every 5 s. */
export interface ThreadLoad {
  p99Ms: number;
  maxMs: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
}

export interface LocalBroker {
  /** Where it runs: 'thread' for its own worker thread, 'inline' for the server's thread. */
  readonly runs: 'thread' | 'inline';
  readonly port: number;
  /** The MQTTS port, when TLS is on. */
  readonly tlsPort: number | undefined;
  /** Clients connected now (units: the server holds no connection of its own). */
  readonly connectedClients: number;
  /** Event-loop lag of the broker's own thread over the last 5 s and its heap, when it has one. */
  readonly loopLag?: ThreadLoad | undefined;
  /** Disconnects a unit at once (secret rotated or unit revoked). */
  disconnectUnit(unit: string): void;
  /** Each media want a unit publishes, with the client that sent it (media/distribution.ts). */
  onWant(handler: WantHandler): void;
  close(): Promise<void>;
}

export interface InlineBroker extends LocalBroker {
  readonly runs: 'inline';
  /** The aedes instance itself (tests look inside it). */
  readonly aedes: EmbeddedBroker['broker'];
}

/** The broker in the server's own thread, as a LocalBroker. */
export function inlineBroker(embedded: EmbeddedBroker): InlineBroker {
  return {
    runs: 'inline',
    aedes: embedded.broker,
    port: embedded.port,
    tlsPort: embedded.tlsPort,
    get connectedClients() {
      return (embedded.broker as unknown as { connectedClients: number }).connectedClients;
    },
    disconnectUnit: (unit) => embedded.disconnectUnit(unit),
    onWant(handler) {
      embedded.broker.on('publish', (packet, client) => {
        if (client && packet.topic.endsWith('/want')) handler(packet.topic, packet.payload as Buffer, client.id);
      });
    },
    close: () => embedded.close(),
  };
}
