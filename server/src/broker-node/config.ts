// A broker node's configuration (issue #10): the server's own variables for its MQTT listeners, so
// one environment file can describe both, plus the Redis the cluster shares.
import { ConfigError, intVar, logLevelVar, redisUrlVar, tlsFiles, type Env } from '../config.js';

export interface BrokerNodeConfig {
  redisUrl: string;
  mqttPort: number;
  mqttHost: string;
  /** MQTTS beside plain MQTT when both are set, as on the embedded broker (DESIGN §7). */
  tls: { certFile: string; keyFile: string } | undefined;
  mqttsPort: number;
  mqttsHost: string;
  logLevel: string;
}

export function loadBrokerNodeConfig(env: Env = process.env): BrokerNodeConfig {
  const redisUrl = redisUrlVar(env);
  if (!redisUrl)
    throw new ConfigError(
      'REDIS_URL is required: the Redis that every broker node and the server share, e.g. redis://10.0.0.5:6379',
    );
  const tls = tlsFiles(env);
  return {
    redisUrl,
    mqttPort: intVar(env, 'MQTT_PORT', 1883, 0, 65535),
    // As on the embedded broker: with TLS on, plain MQTT serves only this machine unless MQTT_HOST says otherwise.
    mqttHost: env.MQTT_HOST && env.MQTT_HOST !== '' ? env.MQTT_HOST : tls ? '127.0.0.1' : '0.0.0.0',
    tls,
    mqttsPort: intVar(env, 'MQTTS_PORT', 8883, 0, 65535),
    mqttsHost: env.MQTTS_HOST && env.MQTTS_HOST !== '' ? env.MQTTS_HOST : '0.0.0.0',
    logLevel: logLevelVar(env),
  };
}
