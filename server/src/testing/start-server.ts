// Starts the real server in this process on free ports (HTTP and the embedded MQTT broker), with a
// temporary data dir: the same buildApp that main.ts boots.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { ApiClient } from './api-client.js';
// The decorations these plugins declare are part of what a test may use (app.bus, app.firstAdmin…).
import type {} from '../broker/broker.plugin.js';
import type {} from '../auth/auth.plugin.js';
import type {} from '../services.plugin.js';

export interface TestServer {
  app: FastifyInstance;
  base: string;
  mqttPort: number;
  mqttUrl: string;
  dataDir: string;
  admin: ApiClient;
  close(): Promise<void>;
}

export async function startServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'loa-server-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    MQTT_PORT: '0',
    MQTT_HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    ...env,
  });
  const app = await buildApp(config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  const base = `http://127.0.0.1:${port}`;
  const admin = new ApiClient(base);
  await admin.login(app.firstAdmin!.username, app.firstAdmin!.password);
  const mqttPort = app.embeddedBroker!.port;
  return {
    app,
    base,
    mqttPort,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    dataDir,
    admin,
    async close() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
