// Broker nodes and the control plane refuse a cluster configuration that cannot work, saying what
// to change (issue #10).
import { describe, expect, it } from 'vitest';
import { loadConfig, type ConfigError } from '../config.js';
import { loadBrokerNodeConfig } from './config.js';

describe('a broker node’s configuration', () => {
  it('needs the Redis it shares with the other nodes', () => {
    expect(() => loadBrokerNodeConfig({})).toThrow(/REDIS_URL is required/);
    expect(() => loadBrokerNodeConfig({ REDIS_URL: 'localhost:6379' })).toThrow(/REDIS_URL must look like redis:/);
  });

  it('never prints the password a Redis URL carries', () => {
    let message = '';
    try {
      loadBrokerNodeConfig({ REDIS_URL: 'http://user:s3cret@redis:6379' });
    } catch (err) {
      message = (err as ConfigError).message;
    }
    expect(message).toMatch(/REDIS_URL must look like/);
    expect(message).not.toContain('s3cret');
  });

  it('listens as the embedded broker does, on MQTT_PORT and MQTTS beside it', () => {
    expect(loadBrokerNodeConfig({ REDIS_URL: 'redis://10.0.0.5:6379', MQTT_PORT: '1884' })).toMatchObject({
      redisUrl: 'redis://10.0.0.5:6379',
      mqttPort: 1884,
      mqttHost: '0.0.0.0',
      tls: undefined,
    });
    expect(() => loadBrokerNodeConfig({ REDIS_URL: 'redis://r', MQTT_PORT: 'eighty' })).toThrow(/MQTT_PORT/);
    expect(() => loadBrokerNodeConfig({ REDIS_URL: 'redis://r', TLS_CERT: '/nonexistent.pem' })).toThrow(
      /TLS_CERT and TLS_KEY go together/,
    );
  });
});

describe('the control plane with broker nodes', () => {
  it('needs MQTT_URL at a node, and makes its own broker password', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis://r:6379' })).toThrow(/set MQTT_URL to one of them/);
    expect(() => loadConfig({ REDIS_URL: 'redis://r:6379', MQTT_URL: 'mqtt://n1:1883', MQTT_PASSWORD: 'x' })).toThrow(
      /unset MQTT_USERNAME and MQTT_PASSWORD/,
    );
    expect(() =>
      loadConfig({ REDIS_URL: 'redis://r:6379', MQTT_URL: 'mqtt://n1:1883', MQTT_EXPORT_DIR: '/tmp/x' }),
    ).toThrow(/MQTT_EXPORT_DIR is for an external Mosquitto/);
    expect(loadConfig({ REDIS_URL: 'redis://r:6379', MQTT_URL: 'mqtt://n1:1883' })).toMatchObject({
      redisUrl: 'redis://r:6379',
      mqttUrl: 'mqtt://n1:1883',
    });
    expect(loadConfig({}).redisUrl).toBeUndefined();
  });
});
