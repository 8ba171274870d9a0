// Starts the embedded broker (unless MQTT_URL names an external one) and connects the server's bus.
// When a unit's credential changes (created, rotated, revoked), `unitCredentialsChanged` makes it
// count at once: the embedded broker disconnects the unit; with an external Mosquitto whose files
// the server keeps (MQTT_EXPORT_DIR), the password/ACL files are rewritten and Mosquitto reloaded
// (SIGHUP to MQTT_RELOAD_PID_FILE), which re-checks every connected client (issue #4). With broker
// nodes (REDIS_URL, issue #10) the server mirrors the credentials into Redis, where every node
// checks them, and asks every node to disconnect the unit.
//
// A new unit can wait a moment for Mosquitto (issue #10): each export rewrites the whole password
// file and each reload makes Mosquitto check every connected client again, so one per creation made
// creating a province quadratic (44.5 s for 5,000 units, against 4.8 s on the embedded broker).
// Creations within EXPORT_DELAY_MS share one export and one reload. A secret taken away (revoked,
// rotated, a board replaced) is never kept waiting: it is exported and reloaded at once, together
// with any creation still pending.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fp from 'fastify-plugin';
import { connectBus, type Bus } from './bus.js';
import { inProcessBus } from './in-process-bus.js';
import { startCredentialMirror, type CredentialMirror } from './cluster-mirror.js';
import { SERVER_USERNAME, sameSecret, startEmbeddedBroker } from './embedded.js';
import { inlineBroker, type LocalBroker } from './local-broker.js';
import { startBrokerThread } from './thread/broker-thread.js';
import { exportMosquittoConfig } from './mosquitto.js';
import { verifyUnitSecret } from '../units/units.secrets.js';

declare module 'fastify' {
  interface FastifyInstance {
    bus: Bus;
    /** The embedded broker, or undefined when an external broker is used. */
    embeddedBroker: LocalBroker | undefined;
    /**
     * A unit's secret was created, rotated or revoked: make the broker apply it. `now` (the
     * default) for any change that takes a secret away; `soon` for a new unit, whose credential
     * an external Mosquitto learns within EXPORT_DELAY_MS, in one export with others created meanwhile.
     */
    unitCredentialsChanged(unitId: string, when?: 'now' | 'soon'): Promise<void>;
  }
}

/** How long a new unit's credential may wait to be exported to Mosquitto with others, ms. */
export const EXPORT_DELAY_MS = 200;

export default fp(
  async (app) => {
    const { config } = app;
    const log = app.log.child({ name: 'broker' });
    let embedded: LocalBroker | undefined;
    let embeddedBus: Bus | undefined;
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
      const verifyUnit = (unit: string, secret: string) => verifyUnitSecret(app.db, unit, secret);
      const tls = tlsOptions ? { tls: { ...tlsOptions, port: config.mqttsPort, host: config.mqttsHost } } : {};
      if (config.brokerThread) {
        ({ broker: embedded, bus: embeddedBus } = await startBrokerThread({
          port: config.mqttPort,
          host: config.mqttHost,
          verifyUnit,
          log,
          ...tls,
        }));
      } else {
        const inline = await startEmbeddedBroker({
          port: config.mqttPort,
          host: config.mqttHost,
          verifyServer: (p) => sameSecret(p, serverPassword),
          verifyUnit,
          log,
          ...tls,
        });
        embedded = inlineBroker(inline);
        // On its own embedded broker the server needs no connection (in-process-bus.ts).
        embeddedBus = await inProcessBus(inline.broker, log);
      }
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
    let pending: NodeJS.Timeout | undefined;
    const exportNow = () => {
      clearTimeout(pending);
      pending = undefined;
      exportExternal();
    };
    // Off the request that asked for it: a failure can only be logged.
    const exportLogged = () => {
      try {
        exportNow();
      } catch (err) {
        log.error({ err: (err as Error).message }, 'broker: could not export the Mosquitto configuration');
      }
    };
    const exportSoon = () => {
      if (embedded || !exportDir) return;
      // The first change starts the wait and later ones join it, so none waits longer than the delay.
      pending ??= setTimeout(exportLogged, EXPORT_DELAY_MS);
    };

    const bus =
      embeddedBus ??
      (await connectBus(url, username, password, log).catch(async (err: unknown) => {
        await mirror?.close();
        throw err;
      }));
    app.decorate('bus', bus);
    app.decorate('embeddedBroker', embedded);
    app.decorate('unitCredentialsChanged', async (unitId: string, when: 'now' | 'soon' = 'now') => {
      embedded?.disconnectUnit(unitId);
      await mirror?.unitChanged(unitId);
      if (when === 'now') exportNow();
      else exportSoon();
    });
    app.addHook('onClose', async () => {
      // Units created just before a shutdown are in the files all the same.
      if (pending) exportLogged();
      await bus.close();
      await embedded?.close();
      await mirror?.close();
    });
  },
  { name: 'broker', dependencies: ['db'] },
);
