// Starts the real server in this process on free ports (HTTP and the embedded MQTT broker), with a
// temporary data dir: the same buildApp that main.ts boots. `admin` is signed in as the first
// administrator; `userClient(role)` makes and signs in a new account of any role, as the approval
// rules need two people (an editor writes, an approver approves), and changes the password the
// administrator chose, as its person would at first sign-in (until then the API refuses them).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { ApiClient } from './api-client.js';
import type { Role } from '../auth/permissions.js';
// The decorations these plugins declare are part of what a test may use (app.bus, app.firstAdmin…).
import type {} from '../broker/broker.plugin.js';
import type {} from '../auth/auth.plugin.js';
import type {} from '../services.plugin.js';

/** A signed-in account made for a test. */
export class TestUser extends ApiClient {
  constructor(
    base: string,
    readonly id: number,
    readonly username: string,
    readonly password: string,
    readonly role: Role,
  ) {
    super(base);
  }
}

export interface TestServer {
  app: FastifyInstance;
  base: string;
  /** The embedded broker's port (undefined with an external broker, MQTT_URL). */
  mqttPort: number;
  mqttUrl: string;
  dataDir: string;
  admin: ApiClient;
  /** Creates an account of this role (all communes unless `communeIds`) and signs it in. */
  userClient(role: Role, opts?: { communeIds?: string[] | null; username?: string }): Promise<TestUser>;
  close(): Promise<void>;
}

let serial = 0;

export async function startServer(env: Record<string, string> = {}): Promise<TestServer> {
  // A test may prepare the data dir first (an external broker's exported configuration).
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'loa-server-'));
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
  const base = `${config.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const admin = new ApiClient(base);
  // With TLS the test talks HTTPS itself (fetch cannot be told to trust a test's own CA).
  if (!config.tls) await admin.login(app.firstAdmin!.username, app.firstAdmin!.password);
  const mqttPort = app.embeddedBroker?.port ?? Number(new URL(config.mqttUrl!).port);
  return {
    app,
    base,
    mqttPort,
    mqttUrl: config.mqttUrl ?? `mqtt://127.0.0.1:${mqttPort}`,
    dataDir,
    admin,
    async userClient(role, opts = {}) {
      const username = opts.username ?? `${role}-${++serial}`;
      const first = `Test-${randomBytes(12).toString('base64url')}`;
      const res = await admin.post<{ user: { id: number } }>('/api/users', {
        username,
        role,
        password: first,
        communeIds: opts.communeIds ?? null,
      });
      if (res.status !== 201) throw new Error(`cannot create ${role} ${username}: ${JSON.stringify(res.body)}`);
      const password = `Own-${randomBytes(12).toString('base64url')}`;
      const user = new TestUser(base, res.body.user.id, username, password, role);
      await user.login(username, first);
      const changed = await user.post('/api/auth/password', { currentPassword: first, newPassword: password });
      if (changed.status !== 204) throw new Error(`cannot set ${username}'s password: ${JSON.stringify(changed.body)}`);
      return user;
    },
    async close() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
