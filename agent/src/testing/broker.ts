// A real MQTT broker in the test process (aedes on a random port), with per-unit passwords like
// the server's, and a privileged client playing the server's part.
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes, type AuthenticateError } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';

export interface TestBroker {
  url: string;
  broker: Aedes;
  /** CONNECT attempts per username, accepted or not. */
  attempts: Map<string, number>;
  /** Connects a client with every right, standing in for the server. */
  serverClient(): Promise<MqttClient>;
  close(): Promise<void>;
}

export const SERVER_USER = 'loa-server';
const SERVER_PASSWORD = 'server-secret';

export async function startBroker(units: Record<string, string>): Promise<TestBroker> {
  const attempts = new Map<string, number>();
  const broker = await Aedes.createBroker({
    authenticate(_client, username, password, done) {
      attempts.set(username ?? '', (attempts.get(username ?? '') ?? 0) + 1);
      const secret = username === SERVER_USER ? SERVER_PASSWORD : username ? units[username] : undefined;
      if (secret !== undefined && password?.toString('utf8') === secret) return done(null, true);
      const err = new Error('bad username or password') as AuthenticateError;
      err.returnCode = 4;
      done(err, null);
    },
  });
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `mqtt://127.0.0.1:${port}`;
  const clients: MqttClient[] = [];
  return {
    url,
    broker,
    attempts,
    async serverClient() {
      const c = await mqtt.connectAsync(url, {
        username: SERVER_USER,
        password: SERVER_PASSWORD,
        reconnectPeriod: 0,
        clientId: `test-server-${clients.length}-${Date.now()}`,
      });
      clients.push(c);
      return c;
    },
    async close() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      server.close();
    },
  };
}
