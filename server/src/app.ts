// Builds the Loa server as one Fastify app; main.ts boots it and the tests build it directly.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import multipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import websocket from '@fastify/websocket';
import type { Config } from './config.js';
import { HttpError } from './http-error.js';
import dbPlugin from './db/db.plugin.js';
import docsPlugin from './docs/docs.plugin.js';
import metricsPlugin from './metrics/metrics.plugin.js';
import telemetryPlugin from './telemetry/telemetry.plugin.js';
import reportsRoutes from './reports/reports.routes.js';
import brokerPlugin from './broker/broker.plugin.js';
import authPlugin from './auth/auth.plugin.js';
import auditPlugin from './audit/audit.plugin.js';
import servicesPlugin from './services.plugin.js';
import authRoutes from './auth/auth.routes.js';
import usersRoutes from './auth/users.routes.js';
import tokensRoutes from './auth/tokens.routes.js';
import auditRoutes from './audit/audit.routes.js';
import unitsRoutes from './units/units.routes.js';
import mediaRoutes from './media/media.routes.js';
import mediaJobsRoutes from './media/jobs.routes.js';
import ttsRoutes from './media/tts/tts.routes.js';
import mediaAudioRoutes from './media/audio.routes.js';
import communesRoutes from './schedule/communes.routes.js';
import zonesRoutes from './schedule/zones.routes.js';
import bulletinsRoutes from './schedule/bulletins.routes.js';
import dashboardRoutes from './dashboard/dashboard.routes.js';
import commandsRoutes from './commands/commands.routes.js';
import enrollRoutes from './enroll/enroll.routes.js';
import alertsRoutes from './alerts/alerts.routes.js';
import alertSettingsRoutes from './alerts/alert-settings.routes.js';
import emergencyRoutes from './emergency/emergency.routes.js';
import liveRoutes from './live/live.routes.js';
import { closeConnectionsOnceIdle } from './http/close-when-idle.js';
import { drainBody } from './http/drain-body.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
  }
}

export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

export interface BuildOptions extends FastifyServerOptions {
  /** Where log lines go (default stdout); tests read them to check that no secret is ever logged. */
  logStream?: { write(line: string): void };
}

export async function buildApp(config: Config, { logStream, ...opts }: BuildOptions = {}): Promise<FastifyInstance> {
  mkdirSync(config.dataDir, { recursive: true });
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: [
        'req.headers.cookie',
        'req.headers.authorization',
        'req.headers["x-csrf-token"]',
        'res.headers["set-cookie"]',
      ],
      ...(logStream ? { stream: logStream } : {}),
    },
    bodyLimit: 1024 * 1024,
    // HTTPS when certificate paths are configured (DESIGN §7, issue #4).
    ...(config.tls
      ? {
          https: {
            cert: readFileSync(config.tls.certFile),
            key: readFileSync(config.tls.keyFile),
            minVersion: 'TLSv1.2',
          },
        }
      : {}),
    ...opts,
  } as FastifyServerOptions).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('config', config);
  closeConnectionsOnceIdle(app);

  // A refusal sent before the request's body was read (an upload by someone without the right, a
  // file over the limit): the client is still sending. Closing at once makes it fail to read the
  // answer (EPIPE); leaving the rest to Node keeps the connection busy past a graceful shutdown's
  // sweep of idle ones. So the rest of a small body is read and dropped before the answer goes,
  // and only a large one gets its connection closed after the answer.
  app.addHook('onSend', async (request, reply) => {
    if (request.raw.complete || request.headers.upgrade) return;
    if (!(await drainBody(request.raw, 8 * 1024 * 1024, 3000))) reply.header('connection', 'close');
  });

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof HttpError) {
      return reply
        .code(err.statusCode)
        .send({ error: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) });
    }
    const e = err as Error & {
      validation?: Array<{ instancePath?: string; message?: string }>;
      statusCode?: number;
      code?: string;
    };
    if (e.validation) {
      const first = e.validation[0];
      const field = (first?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.') || undefined;
      return reply.code(400).send({
        error: 'invalid-request',
        message: `${field ?? 'The request'} ${first?.message ?? 'is invalid'}.`,
        ...(field ? { field } : {}),
      });
    }
    if (e.code === 'FST_REQ_FILE_TOO_LARGE' || e.statusCode === 413) {
      return reply.code(413).send({
        error: 'upload-too-large',
        message: 'The file is larger than the server accepts. Shorten or compress it and upload it again.',
      });
    }
    if (e.statusCode && e.statusCode < 500)
      return reply.code(e.statusCode).send({ error: e.code ?? 'bad-request', message: e.message });
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({
      error: 'internal',
      message: 'Something went wrong on the server. Try again; if it persists, tell the technician.',
    });
  });

  await app.register(docsPlugin);
  await app.register(dbPlugin);
  await app.register(brokerPlugin);
  await app.register(auditPlugin);
  await app.register(authPlugin);
  await app.register(servicesPlugin);
  await app.register(metricsPlugin);
  await app.register(telemetryPlugin);
  await app.register(reportsRoutes);
  await app.register(multipart, { limits: { fileSize: config.maxUploadBytes, files: 1, fields: 10 } });
  // Room for a live audio message a little over the largest the live route accepts: that route
  // drops an oversized one itself and the session goes on (issue #8), where the socket's own
  // limit would close it.
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  app.get('/api/health', { config: { public: true } }, async () => ({
    ok: true,
    broker: app.embeddedBroker ? 'embedded' : 'external',
    mqttConnected: app.bus.connected,
  }));
  app.get('/api/server-key', { config: { public: true } }, async () => ({
    kid: app.signer.kid,
    publicKey: app.signer.publicKeyPem,
  }));

  await app.register(authRoutes);
  await app.register(usersRoutes);
  await app.register(tokensRoutes);
  await app.register(auditRoutes);
  await app.register(unitsRoutes);
  await app.register(mediaRoutes);
  await app.register(mediaJobsRoutes);
  await app.register(ttsRoutes);
  await app.register(mediaAudioRoutes);
  await app.register(communesRoutes);
  await app.register(zonesRoutes);
  await app.register(bulletinsRoutes);
  await app.register(dashboardRoutes);
  await app.register(commandsRoutes);
  await app.register(enrollRoutes);
  await app.register(alertsRoutes);
  await app.register(alertSettingsRoutes);
  await app.register(emergencyRoutes);
  await app.register(liveRoutes);

  const webDir = config.webDir ?? WEB_DIST;
  if (existsSync(webDir)) {
    await app.register(fastifyStatic, { root: webDir, prefix: '/' });
    // The web app's wildcard (/*) must not answer for API paths that do not exist: a 404 in words.
    app.route({
      method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      url: '/api/*',
      config: { permission: 'self' },
      handler: async (req) => {
        throw new HttpError(
          404,
          'not-found',
          `There is no ${req.method} ${req.url.split('?')[0]} in this server's API.`,
        );
      },
    });
  } else {
    app.get('/', async (_req, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><meta charset="utf-8"><title>Loa</title><p>Loa server is running. Build the web app with <code>npm run build -w web</code>.</p>',
        ),
    );
  }
  return app;
}
