// A broker node's configuration for tests: plain MQTT on a free loopback port, no TLS, on `redisUrl`.
import type { BrokerNodeConfig } from '../broker-node/config.js';

export const loopbackNodeConfig = (redisUrl: string): BrokerNodeConfig => ({
  redisUrl,
  mqttPort: 0,
  mqttHost: '127.0.0.1',
  tls: undefined,
  mqttsPort: 0,
  mqttsHost: '127.0.0.1',
  logLevel: 'silent',
});
