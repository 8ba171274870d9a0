// The embedded broker in a worker thread of the server's process (issue #10). At 5,000 units the
// broker's own work — parsing every packet, writing each plan, event acknowledgement and media
// chunk to thousands of sockets, and the garbage of all that — held the control plane's single
// event loop: a burst of events or a media fan-out delayed the dashboard's API and the re-plans.
// In its own thread the broker keeps its loop and its heap to itself; the control plane gets what
// the units publish to it as messages and publishes by message (a media chunk crosses once, the
// fan-out to the units happens over there). Same broker, same ACL, same ports: units see no
// difference. Unit secrets are still checked here, where the database is.
//
// The broker is part of the server: if its thread dies, a new one starts on the same ports, the
// units reconnect, and the bus's reconnect listeners publish the retained plans again.
import { Worker } from 'node:worker_threads';
import { dispatch, type Bus, type MessageHandler } from '../bus.js';
import type { LocalBroker, ThreadLoad, WantHandler } from '../local-broker.js';
import { TurnGate } from '../turn-gate.js';
import { asBuffer, ownBytes, type BrokerThreadSettings, type FromBroker, type ToBroker } from './protocol.js';

export interface BrokerThreadOptions extends BrokerThreadSettings {
  verifyUnit(unit: string, secret: string): boolean;
  log: {
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
    error(obj: object, msg: string): void;
  };
}

/** Starts the worker that runs worker.ts: from its TypeScript source under tsx, as the server runs. */
function brokerWorker(settings: BrokerThreadSettings): Worker {
  const ts = import.meta.url.endsWith('.ts');
  const entry = new URL(ts ? './worker.ts' : './worker.js', import.meta.url);
  if (!ts) return new Worker(entry, { workerData: settings });
  // Node does not pass tsx's loader on to workers: the worker registers it, then loads the entry.
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { eval: true, workerData: settings });
}

export interface BrokerThread {
  broker: LocalBroker;
  bus: Bus;
  /** The worker running the broker now (tests and drills stop it to see it come back). */
  worker(): Worker;
}

export async function startBrokerThread(opts: BrokerThreadOptions): Promise<BrokerThread> {
  const { log } = opts;
  const handlers = new Map<string, MessageHandler>();
  const wantHandlers: WantHandler[] = [];
  const reconnectListeners: Array<() => void> = [];
  const publishing = new Map<number, { resolve(): void; reject(err: Error): void }>();
  let nextPublish = 0;
  const input = new TurnGate({
    onError: (err) => log.error({ err }, 'broker: a message could not be handled'),
  });
  let clients = 0;
  let lag: ThreadLoad | undefined;
  let closing = false;
  let worker: Worker;
  let ready = false;
  let port = opts.port;
  let tlsPort: number | undefined;
  const settings = (): BrokerThreadSettings => ({
    // A restarted thread takes the ports the first one got (port 0 asks for any free one once).
    port,
    host: opts.host,
    ...(opts.tls ? { tls: { ...opts.tls, ...(tlsPort !== undefined ? { port: tlsPort } : {}) } } : {}),
  });
  const post = (m: ToBroker) => worker.postMessage(m);

  const onMessage = (m: FromBroker) => {
    switch (m.type) {
      // A port hands over every message waiting in one go; thousands come at once when every
      // unit sends its events at the same instant. Handled a budget per turn, as in the broker.
      case 'message':
        input.run(() => dispatch(handlers, m.topic, asBuffer(m.payload), log));
        return;
      case 'want':
        input.run(() => {
          for (const h of wantHandlers) h(m.topic, asBuffer(m.payload), m.clientId);
        });
        return;
      case 'published': {
        const p = publishing.get(m.id);
        publishing.delete(m.id);
        if (m.error) p?.reject(new Error(m.error));
        else p?.resolve();
        return;
      }
      case 'verify': {
        let ok = false;
        try {
          ok = opts.verifyUnit(m.unit, m.secret);
        } catch (err) {
          log.error({ err, unit: m.unit }, 'broker: could not check a unit secret');
        }
        post({ type: 'verified', id: m.id, ok });
        return;
      }
      case 'clients':
        clients = m.count;
        return;
      case 'lag':
        lag = { p99Ms: m.p99Ms, maxMs: m.maxMs, heapUsedBytes: m.heapUsedBytes, heapTotalBytes: m.heapTotalBytes };
        return;
      case 'log':
        log[m.level](m.obj, m.msg);
        return;
      default:
        return; // ready, failed and closed are awaited where the thread starts and stops
    }
  };

  /** Starts a thread and resolves when its broker listens; rejects with the reason it cannot. */
  const start = () =>
    new Promise<void>((resolve, reject) => {
      worker = brokerWorker(settings());
      const w = worker;
      let listened = false;
      w.on('message', (m: FromBroker) => {
        if (m.type === 'ready') {
          ready = listened = true;
          port = m.port;
          tlsPort = m.tlsPort;
          resolve();
        } else if (m.type === 'failed') {
          reject(Object.assign(new Error(m.message), m.code ? { code: m.code } : {}));
          void w.terminate();
        } else onMessage(m);
      });
      w.on('error', (err) => log.error({ err }, 'broker: the embedded broker thread failed'));
      w.on('exit', (code) => {
        ready = false;
        clients = 0;
        for (const p of publishing.values()) p.reject(new Error('the embedded MQTT broker stopped'));
        publishing.clear();
        reject(new Error(`the embedded MQTT broker thread exited (${code}) before it listened`));
        // Only a broker that ran is started again; one that could not listen said why above.
        if (closing || w !== worker || !listened) return;
        log.error({ code }, 'broker: the embedded broker thread stopped; starting it again');
        setTimeout(() => void restart(), 1000).unref();
      });
    });
  const restart = async () => {
    if (closing) return;
    try {
      await start();
      log.info({ port }, 'broker: the embedded broker thread is back');
      for (const fn of reconnectListeners) fn();
    } catch (err) {
      log.error({ err: (err as Error).message }, 'broker: the embedded broker thread could not start again');
      if (!closing) setTimeout(() => void restart(), 5000).unref();
    }
  };

  await start();

  const bus: Bus = {
    get connected() {
      return ready && !closing;
    },
    on(key, handler) {
      handlers.set(key, handler);
    },
    onReconnect(listener) {
      reconnectListeners.push(listener);
    },
    publish(topic, payload, o = {}) {
      if (!ready || closing) return Promise.reject(new Error('the embedded MQTT broker is not running'));
      const bytes = ownBytes(typeof payload === 'string' ? Buffer.from(payload) : payload);
      const id = nextPublish++;
      // Resolves once the broker stored it (retained) and handed it to every subscriber, as a
      // PUBACK would: the media distributor is paced by it.
      return new Promise<void>((resolve, reject) => {
        publishing.set(id, { resolve, reject });
        post({ type: 'publish', id, topic, payload: bytes, qos: o.qos ?? 1, retain: o.retain ?? false });
      });
    },
    async close() {
      handlers.clear();
    },
  };

  const broker: LocalBroker = {
    runs: 'thread',
    get port() {
      return port;
    },
    get tlsPort() {
      return tlsPort;
    },
    get connectedClients() {
      return clients;
    },
    get loopLag() {
      return lag;
    },
    disconnectUnit(unit) {
      if (ready) post({ type: 'disconnect', unit });
    },
    onWant(handler) {
      wantHandlers.push(handler);
    },
    async close() {
      if (closing) return;
      closing = true;
      const w = worker;
      if (!ready) return void (await w.terminate());
      const closed = new Promise<void>((resolve) => {
        w.on('message', (m: FromBroker) => m.type === 'closed' && resolve());
        w.once('exit', () => resolve());
      });
      post({ type: 'close' });
      // A broker that cannot close its sockets in 5 s is stopped all the same.
      const late = new Promise<'late'>((r) => setTimeout(() => r('late'), 5000).unref());
      await Promise.race([closed, late]);
      await w.terminate();
    },
  };
  return { broker, bus, worker: () => worker };
}
