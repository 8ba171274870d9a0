// Boots a broker node (`npm run broker`, issue #10): configuration, listen, graceful close. The
// control plane (`npm start` with REDIS_URL and MQTT_URL at a node) must have run once against the
// same Redis for anyone to sign in: it is what puts the credentials there.
import pino from 'pino';
import { ConfigError, redact } from '../config.js';
import { loadBrokerNodeConfig } from './config.js';
import { startBrokerNode } from './node.js';

async function main() {
  let config;
  try {
    config = loadBrokerNodeConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Loa broker node cannot start: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const log = pino({ level: config.logLevel, name: 'broker-node' });
  let node;
  try {
    node = await startBrokerNode(config, log);
  } catch (err) {
    console.error(`Loa broker node cannot start: ${(err as Error).message}`);
    process.exit(1);
  }
  const tls = node.tlsPort ? `, MQTTS on port ${node.tlsPort}` : '';
  process.stdout.write(
    `Loa broker node is running: MQTT on port ${node.port}${tls}; state shared through Redis ${redact(config.redisUrl)}\n`,
  );

  let closing = false;
  const stop = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => process.exit(1), 10_000).unref();
    await node.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

await main();
