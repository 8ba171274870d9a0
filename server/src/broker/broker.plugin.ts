// Starts the embedded broker (unless MQTT_URL names an external one) and connects the server's bus.
import { randomBytes } from 'node:crypto';
import fp from 'fastify-plugin';
import { connectBus, type Bus } from './bus.js';
import { SERVER_USERNAME, startEmbeddedBroker, type EmbeddedBroker } from './embedded.js';
import { verifyUnitSecret } from '../units/units.secrets.js';

declare module 'fastify' {
  interface FastifyInstance {
    bus: Bus;
    /** The embedded broker, or undefined when an external broker is used. */
    embeddedBroker: EmbeddedBroker | undefined;
  }
}

export default fp(
  async (app) => {
    const { config } = app;
    const log = app.log.child({ name: 'broker' });
    let embedded: EmbeddedBroker | undefined;
    let url = config.mqttUrl;
    let username = config.mqttUsername;
    let password = config.mqttPassword;
    if (!url) {
      // The server's own credentials for its embedded broker: fresh on every start, never stored.
      password = randomBytes(32).toString('base64url');
      username = SERVER_USERNAME;
      embedded = await startEmbeddedBroker({
        port: config.mqttPort,
        host: config.mqttHost,
        serverPassword: password,
        verifyUnit: (unit, secret) => verifyUnitSecret(app.db, unit, secret),
        log,
      });
      url = `mqtt://127.0.0.1:${embedded.port}`;
    }
    const bus = await connectBus(url, username, password, log);
    app.decorate('bus', bus);
    app.decorate('embeddedBroker', embedded);
    app.addHook('onClose', async () => {
      await bus.close();
      await embedded?.close();
    });
  },
  { name: 'broker', dependencies: ['db'] },
);
