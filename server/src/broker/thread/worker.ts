// The embedded broker's worker thread (broker-thread.ts says why). It runs the same broker as
// ever (embedded.ts: ACL, turn gate, sliced fan-out) and stands in for the server's subscriptions:
// what units publish to the server goes to the control plane as a message, what the control plane
// publishes is published here. Unit secrets are checked by the control plane, which holds the
// database; wants go with their sender, as attachWants needs.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { serverSubscriptions } from '@loa/shared';
import { startEmbeddedBroker } from '../embedded.js';
import { asBuffer, ownBytes, type BrokerThreadSettings, type FromBroker, type ToBroker } from './protocol.js';

const port = parentPort!;
const settings = workerData as BrokerThreadSettings;
const send = (m: FromBroker) => port.postMessage(m);
const log = {
  info: (obj: object, msg: string) => send({ type: 'log', level: 'info', obj, msg }),
  warn: (obj: object, msg: string) => send({ type: 'log', level: 'warn', obj, msg }),
  error: (obj: object, msg: string) => send({ type: 'log', level: 'error', obj, msg }),
};

let nextVerify = 0;
const verifying = new Map<number, (ok: boolean) => void>();

async function main(): Promise<void> {
  const embedded = await startEmbeddedBroker({
    port: settings.port,
    host: settings.host,
    // The control plane holds no connection: nobody may sign in as the server.
    verifyServer: () => false,
    verifyUnit: (unit, secret) =>
      new Promise<boolean>((resolve) => {
        const id = nextVerify++;
        verifying.set(id, resolve);
        send({ type: 'verify', id, unit, secret });
      }),
    log,
    ...(settings.tls
      ? {
          tls: {
            cert: Buffer.from(settings.tls.cert),
            key: Buffer.from(settings.tls.key),
            port: settings.tls.port,
            host: settings.tls.host,
          },
        }
      : {}),
  });
  const { broker } = embedded;

  // The server's subscriptions, answered in this thread. Completed on the next tick, as in
  // in-process-bus.ts: thousands queued and completed one inside the other overflow the stack.
  const deliver = (packet: { topic: string; payload: Buffer | string }, done: () => void) => {
    if (!packet.topic.endsWith('/want')) {
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      send({ type: 'message', topic: packet.topic, payload: ownBytes(payload) });
    }
    process.nextTick(done);
  };
  await Promise.all(
    serverSubscriptions.map(
      (filter) =>
        new Promise<void>((resolve, reject) =>
          broker.subscribe(filter, deliver as never, (err?: Error) => (err ? reject(err) : resolve())),
        ),
    ),
  );
  // Wants with the unit that sent them (media/distribution.ts attachWants).
  broker.on('publish', (packet, client) => {
    if (client && packet.topic.endsWith('/want'))
      send({ type: 'want', topic: packet.topic, payload: ownBytes(packet.payload as Buffer), clientId: client.id });
  });

  // The count of connected clients for /metrics: a change is sent at once (before anything the
  // client then publishes), and the changes of a reconnect storm at most every 100 ms.
  let lastCount = -1;
  let counter: NodeJS.Timeout | undefined;
  const sendCount = () => {
    const count = (broker as unknown as { connectedClients: number }).connectedClients;
    if (count !== lastCount) send({ type: 'clients', count: (lastCount = count) });
  };
  const countChanged = () => {
    if (counter) return;
    sendCount();
    counter = setTimeout(() => {
      counter = undefined;
      sendCount();
    }, 100);
  };
  broker.on('client', countChanged);
  broker.on('clientDisconnect', countChanged);

  // This thread's own event-loop lag and heap, for /metrics beside the control plane's (every 5 s):
  // the process's RSS holds both threads, and this one's heap says how much of it is the broker's.
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const lagTimer = setInterval(() => {
    const heap = getHeapStatistics();
    send({
      type: 'lag',
      p99Ms: delay.percentile(99) / 1e6,
      maxMs: delay.max / 1e6,
      heapUsedBytes: heap.used_heap_size,
      heapTotalBytes: heap.total_heap_size,
    });
    delay.reset();
  }, 5000);
  lagTimer.unref();

  port.on('message', (m: ToBroker) => {
    switch (m.type) {
      case 'publish': {
        const packet = {
          cmd: 'publish' as const,
          topic: m.topic,
          payload: asBuffer(m.payload),
          qos: m.qos,
          retain: m.retain,
          dup: false,
        };
        broker.publish(packet as never, (err?: Error) => send({ type: 'published', id: m.id, error: err?.message }));
        return;
      }
      case 'verified':
        verifying.get(m.id)?.(m.ok);
        verifying.delete(m.id);
        return;
      case 'disconnect':
        embedded.disconnectUnit(m.unit);
        return;
      case 'close':
        clearTimeout(counter);
        clearInterval(lagTimer);
        delay.disable();
        for (const resolve of verifying.values()) resolve(false);
        void embedded.close().then(() => {
          send({ type: 'closed' });
          port.close();
        });
        return;
    }
  });
  send({ type: 'ready', port: embedded.port, tlsPort: embedded.tlsPort });
}

main().catch((err: NodeJS.ErrnoException) => send({ type: 'failed', message: err.message, code: err.code }));
