// Starts the embedded broker (unless MQTT_URL names an external one) and connects the server's bus.
// When a unit's credential changes (created, rotated, revoked), `unitCredentialsChanged` makes it
// count at once: the embedded broker disconnects the unit; with an external Mosquitto whose files
// the server keeps (MQTT_EXPORT_DIR), the password/ACL files are rewritten and Mosquitto reloaded
// (SIGHUP to MQTT_RELOAD_PID_FILE), which re-checks every connected client (issue #4). With broker
// nodes (REDIS_URL, issue #10) the server mirrors the credentials into Redis, where every node
// checks them, and asks every node to disconnect the unit.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fp from 'fastify-plugin';
import { connectBus, type Bus } from './bus.js';
import { startCredentialMirror, type CredentialMirror } from './cluster-mirror.js';
import { SERVER_USERNAME, sameSecret, startEmbeddedBroker, type EmbeddedBroker } from './embedded.js';
import { exportMosquittoConfig } from './mosquitto.js';
import { verifyUnitSecret } from '../units/units.secrets.js';

declare module 'fastify' {
  interface FastifyInstance {
    bus: Bus;
    /** The embedded broker, or undefined when an external broker is used. */
    embeddedBroker: EmbeddedBroker | undefined;
    /** A unit's secret was created, rotated or revoked: make the broker apply it now. */
    unitCredentialsChanged(unitId: string): Promise<void>;
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
    const tlsOptions = config.tls
      ? { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) }
      : undefined;
    if (!url) {
      // The server's own credentials for its embedded broker: fresh on every start, never stored.
      const serverPassword = randomBytes(32).toString('base64url');
      password = serverPassword;
      username = SERVER_USERNAME;
      embedded = await startEmbeddedBroker({
        port: config.mqttPort,
        host: config.mqttHost,
        verifyServer: (p) => sameSecret(p, serverPassword),
        verifyUnit: (unit, secret) => verifyUnitSecret(app.db, unit, secret),
        log,
        ...(tlsOptions ? { tls: { ...tlsOptions, port: config.mqttsPort, host: config.mqttsHost } } : {}),
      });
      url = `mqtt://127.0.0.1:${embedded.port}`;
    }
    let mirror: CredentialMirror | undefined;
    if (config.redisUrl) {
      // The same for broker nodes: a fresh password on every start; only its hash goes to Redis.
      password = randomBytes(32).toString('base64url');
      username = SERVER_USERNAME;
      mirror = await startCredentialMirror({ redisUrl: config.redisUrl, db: app.db, serverPassword: password, log });
    }

    const exportDir = config.mqttExportDir;
    const reloadPidFile = config.mqttReloadPidFile;
    const exportExternal = () => {
      if (embedded || !exportDir || !username || !password) return;
      const port = Number(new URL(url!).port || 1883);
      const out = exportMosquittoConfig(app.db, { dir: exportDir, server: { username, password }, port });
      if (out.missing.length)
        log.warn({ units: out.missing }, 'broker: units without a Mosquitto hash; rotate their secret to export them');
      if (!reloadPidFile) return;
      try {
        process.kill(Number(readFileSync(reloadPidFile, 'utf8').trim()), 'SIGHUP');
      } catch (err) {
        log.error({ err: (err as Error).message, reloadPidFile }, 'broker: could not signal Mosquitto to reload');
      }
    };
    // Written before connecting, so a Mosquitto started from these files lets the server in.
    exportExternal();

    const bus = await connectBus(url, username, password, log).catch(async (err: unknown) => {
      await mirror?.close();
      throw err;
    });
    app.decorate('bus', bus);
    app.decorate('embeddedBroker', embedded);
    app.decorate('unitCredentialsChanged', async (unitId: string) => {
      embedded?.disconnectUnit(unitId);
      await mirror?.unitChanged(unitId);
      exportExternal();
    });
    app.addHook('onClose', async () => {
      await bus.close();
      await embedded?.close();
      await mirror?.close();
    });
  },
  { name: 'broker', dependencies: ['db'] },
);
