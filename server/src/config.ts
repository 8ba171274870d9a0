// Configuration from the environment, validated once at start with errors an operator can act on.
import { resolve } from 'node:path';
import { DEFAULT_TIME_ZONE, isTimeZone } from '@loa/shared';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** Port of the embedded broker; ignored when `mqttUrl` points at an external one. */
  mqttPort: number;
  mqttHost: string;
  /** External broker (Mosquitto, EMQX…); when set, no embedded broker is started. */
  mqttUrl: string | undefined;
  mqttUsername: string | undefined;
  mqttPassword: string | undefined;
  timeZone: string;
  /** Media chunk size on the shared media topics (DESIGN §3). */
  chunkBytes: number;
  /** How long the server gathers `want` messages before publishing (DESIGN §3). */
  wantGatherMs: number;
  /** Largest upload accepted, in bytes. */
  maxUploadBytes: number;
  logLevel: string;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function intVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

export function loadConfig(env: Env = process.env): Config {
  const timeZone = env.TZ && env.TZ !== '' ? env.TZ : DEFAULT_TIME_ZONE;
  if (!isTimeZone(timeZone)) {
    throw new ConfigError(
      `TZ ${JSON.stringify(timeZone)} is not a time zone; use an IANA name such as Asia/Ho_Chi_Minh`,
    );
  }
  const mqttUrl = env.MQTT_URL && env.MQTT_URL !== '' ? env.MQTT_URL : undefined;
  if (mqttUrl && !/^(mqtts?|tcp|tls):\/\/[^/]+/.test(mqttUrl)) {
    throw new ConfigError(
      `MQTT_URL must look like mqtt://host:1883 or mqtts://host:8883, got ${JSON.stringify(mqttUrl)}`,
    );
  }
  const logLevel = env.LOG_LEVEL ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent`);
  }
  return {
    port: intVar(env, 'PORT', 8080, 0, 65535),
    host: env.HOST && env.HOST !== '' ? env.HOST : '0.0.0.0',
    dataDir: resolve(env.DATA_DIR && env.DATA_DIR !== '' ? env.DATA_DIR : './data'),
    mqttPort: intVar(env, 'MQTT_PORT', 1883, 0, 65535),
    mqttHost: env.MQTT_HOST && env.MQTT_HOST !== '' ? env.MQTT_HOST : '0.0.0.0',
    mqttUrl,
    mqttUsername: env.MQTT_USERNAME || undefined,
    mqttPassword: env.MQTT_PASSWORD || undefined,
    timeZone,
    chunkBytes: intVar(env, 'MEDIA_CHUNK_BYTES', 256 * 1024, 1024, 16 * 1024 * 1024),
    wantGatherMs: intVar(env, 'MEDIA_WANT_GATHER_MS', 250, 0, 10_000),
    maxUploadBytes: intVar(env, 'MAX_UPLOAD_BYTES', 200 * 1024 * 1024, 1024, 4 * 1024 * 1024 * 1024),
    logLevel,
  };
}
