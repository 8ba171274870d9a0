import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config.js';

describe('MQTT_BROKER_THREAD', () => {
  it('runs the embedded broker in its own thread unless told off, and refuses what it cannot read', () => {
    expect(loadConfig({}).brokerThread).toBe(true);
    expect(loadConfig({ MQTT_BROKER_THREAD: 'off' }).brokerThread).toBe(false);
    expect(loadConfig({ MQTT_BROKER_THREAD: ' No ' }).brokerThread).toBe(false);
    expect(loadConfig({ MQTT_BROKER_THREAD: 'on' }).brokerThread).toBe(true);
    expect(() => loadConfig({ MQTT_BROKER_THREAD: 'maybe' })).toThrow(ConfigError);
    expect(() => loadConfig({ MQTT_BROKER_THREAD: 'maybe' })).toThrow(/MQTT_BROKER_THREAD must be on or off/);
  });
});
