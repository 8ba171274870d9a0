// TLS settings (issue #4): both paths or neither, files that exist, and plain MQTT kept local.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';

describe('TLS configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loa-tlscfg-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  writeFileSync(cert, 'x');
  writeFileSync(key, 'x');

  it('is off by default, with plain MQTT on every address', () => {
    const c = loadConfig({});
    expect(c.tls).toBeUndefined();
    expect(c.mqttHost).toBe('0.0.0.0');
  });

  it('takes both paths, the MQTTS port, and keeps plain MQTT on this machine unless told', () => {
    const c = loadConfig({ TLS_CERT: cert, TLS_KEY: key, MQTTS_PORT: '8884' });
    expect(c.tls).toEqual({ certFile: cert, keyFile: key });
    expect(c.mqttsPort).toBe(8884);
    expect(c.mqttHost).toBe('127.0.0.1');
    expect(loadConfig({ TLS_CERT: cert, TLS_KEY: key, MQTT_HOST: '0.0.0.0' }).mqttHost).toBe('0.0.0.0');
  });

  it('refuses one path without the other, and a file that is not there', () => {
    expect(() => loadConfig({ TLS_CERT: cert })).toThrow(ConfigError);
    expect(() => loadConfig({ TLS_KEY: key })).toThrow(/go together/);
    expect(() => loadConfig({ TLS_CERT: join(dir, 'nope.pem'), TLS_KEY: key })).toThrow(
      /TLS_CERT names .* does not exist/,
    );
  });
});
