// Prometheus metrics at /metrics (prom-client): units online, plan publishes, media bytes
// published, MQTT clients, the ingest queue, event-loop lag (a window's p99, and a histogram since
// start: loop-delay.ts) and the rest of Node's defaults. One registry per app, so tests can run
// several servers in one process. Set METRICS_TOKEN to require
// `Authorization: Bearer <token>` (a province exposing the server beyond its LAN should).
import { timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { loopDelayHistogram } from './loop-delay.js';
import type {} from '../services.plugin.js';
import type {} from '../broker/broker.plugin.js';

export default fp(
  async (app) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
    const loopDelay = loopDelayHistogram(registry);
    app.addHook('onClose', async () => loopDelay.stop());
    const onlineQuery = app.db.prepare('SELECT COUNT(*) AS n FROM units WHERE online = 1');
    const totalQuery = app.db.prepare('SELECT COUNT(*) AS n FROM units');
    new Gauge({
      name: 'loa_units_online',
      help: 'Units whose agent is connected (retained status online).',
      registers: [registry],
      collect() {
        this.set((onlineQuery.get() as { n: number }).n);
      },
    });
    new Gauge({
      name: 'loa_units',
      help: 'Units known to the server.',
      registers: [registry],
      collect() {
        this.set((totalQuery.get() as { n: number }).n);
      },
    });
    const publishes = new Counter({
      name: 'loa_plan_publishes_total',
      help: 'Plans signed and published.',
      registers: [registry],
    });
    app.hub.on('plan-published', () => publishes.inc());
    new Gauge({
      name: 'loa_media_bytes_published',
      help: 'Bytes of media chunks the server published since start (fan-out is the broker’s).',
      registers: [registry],
      collect() {
        this.set(app.services.distribution.stats.bytesPublished);
      },
    });
    new Gauge({
      name: 'loa_media_chunks_published',
      help: 'Media chunks the server published since start.',
      registers: [registry],
      collect() {
        this.set(app.services.distribution.stats.chunksPublished);
      },
    });
    new Gauge({
      name: 'loa_ingest_jobs',
      help: 'Ingest jobs by state (running at most one per core; the rest queued).',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const { running, queued } = app.services.media.queueStats();
        this.set({ state: 'running' }, running);
        this.set({ state: 'queued' }, queued);
      },
    });
    new Gauge({
      name: 'loa_mqtt_clients',
      help: 'Clients connected to the embedded broker (0 with an external broker: read its own metrics).',
      registers: [registry],
      collect() {
        this.set(app.embeddedBroker?.connectedClients ?? 0);
      },
    });

    // The embedded broker's own thread (broker/thread): its loop beside the control plane's.
    // Absent when the broker runs in the server's thread (its lag is then the loop's above).
    const threadLag =
      app.embeddedBroker?.runs === 'thread'
        ? ([
            ['loa_broker_eventloop_lag_p99_seconds', 'p99Ms'],
            ['loa_broker_eventloop_lag_max_seconds', 'maxMs'],
          ] as const)
        : [];
    for (const [name, key] of threadLag) {
      new Gauge({
        name,
        help: `Event-loop lag ${key === 'p99Ms' ? 'p99' : 'max'} of the embedded broker's thread over its last 5 s.`,
        registers: [registry],
        collect() {
          const lag = app.embeddedBroker?.loopLag;
          if (lag) this.set(lag[key] / 1000);
        },
      });
    }
    if (app.embeddedBroker?.runs === 'thread')
      new Gauge({
        name: 'loa_broker_heap_used_bytes',
        help: "JavaScript heap in use in the embedded broker's thread (the nodejs_heap_* figures are the control plane's).",
        registers: [registry],
        collect() {
          const load = app.embeddedBroker?.loopLag;
          if (load) this.set(load.heapUsedBytes);
        },
      });

    const token = process.env.METRICS_TOKEN;
    app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (req, reply) => {
      if (token) {
        const given = Buffer.from(req.headers.authorization ?? '');
        const want = Buffer.from(`Bearer ${token}`);
        if (given.length !== want.length || !timingSafeEqual(given, want)) {
          return reply
            .code(401)
            .send({ error: 'unauthenticated', message: 'Send the metrics token as a Bearer token.' });
        }
      }
      return reply.type(registry.contentType).send(await registry.metrics());
    });
  },
  { name: 'metrics', dependencies: ['services', 'broker'] },
);
