// Configuration from the environment, validated once at start with errors an operator can act on.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { DEFAULT_TIME_ZONE, isTimeZone } from '@loa/shared';
import { passwordProblem } from './auth/passwords.js';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** Port of the embedded broker; ignored when `mqttUrl` points at an external one. */
  mqttPort: number;
  mqttHost: string;
  /** External broker (Mosquitto, EMQX…); when set, no embedded broker is started. */
  mqttUrl: string | undefined;
  /**
   * Where the embedded broker runs: its own worker thread (MQTT_BROKER_THREAD=on, the default),
   * or the server's thread (off). Issue #10, broker/thread/broker-thread.ts.
   */
  brokerThread: boolean;
  mqttUsername: string | undefined;
  mqttPassword: string | undefined;
  /**
   * Broker nodes (issue #10): the Redis that a cluster of `npm run broker` nodes shares. With it,
   * the server (MQTT_URL at one node) keeps the units' secret hashes and its own there.
   */
  redisUrl: string | undefined;
  /** The first administrator's password (LOA_ADMIN_PASSWORD), held to the password rules; else random. */
  adminPassword: string | undefined;
  timeZone: string;
  /** Media chunk size on the shared media topics (DESIGN §3). */
  chunkBytes: number;
  /** How long the server gathers `want` messages before publishing (DESIGN §3). */
  wantGatherMs: number;
  /** Largest upload accepted, in bytes. */
  maxUploadBytes: number;
  /** A live session with no audio for this long ends (issue #8). */
  liveIdleMs: number;
  /** Ingest, loudness, retention, fan-out tuning and text to speech (issue #6). */
  media: MediaConfig;
  logLevel: string;
  /**
   * HTTPS and MQTTS (DESIGN §7) when both paths are set: PEM certificate (chain) and private key.
   * The embedded broker then also listens with TLS on `mqttsPort`, and plain MQTT stays on
   * `mqttPort` (bound to 127.0.0.1 unless MQTT_HOST says otherwise) for the server's own client.
   */
  tls: { certFile: string; keyFile: string } | undefined;
  mqttsPort: number;
  mqttsHost: string;
  /**
   * With an external Mosquitto on this machine: the directory of its password/ACL files, which the
   * server rewrites whenever a unit credential changes, and Mosquitto's pid file, to make it reload.
   */
  mqttExportDir: string | undefined;
  mqttReloadPidFile: string | undefined;
  /** Failed sign-ins in a row that lock an account, and for how long (issue #4). */
  loginMaxFailures: number;
  loginLockoutMs: number;
  /** The built web app to serve at `/` (WEB_DIR); web/dist of this checkout when unset. */
  webDir?: string;
  /** The broker URL boards are told at enrollment (PUBLIC_MQTT_URL); derived from the request when unset. */
  publicMqttUrl?: string;
}

export class ConfigError extends Error {}

export type Env = Record<string, string | undefined>;

export function intVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

export function onOffVar(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['on', 'true', '1', 'yes'].includes(raw)) return true;
  if (['off', 'false', '0', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} must be on or off, got ${JSON.stringify(env[name])}`);
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
  const tls = tlsFiles(env);
  const redisUrl = redisUrlVar(env);
  if (redisUrl && !mqttUrl)
    throw new ConfigError(
      'REDIS_URL is for a cluster of broker nodes (npm run broker): set MQTT_URL to one of them too',
    );
  if (redisUrl && (env.MQTT_USERNAME || env.MQTT_PASSWORD))
    throw new ConfigError(
      'with REDIS_URL the server makes its own broker password and shares its hash with the nodes: unset MQTT_USERNAME and MQTT_PASSWORD',
    );
  if (redisUrl && env.MQTT_EXPORT_DIR)
    throw new ConfigError(
      'MQTT_EXPORT_DIR is for an external Mosquitto; broker nodes (REDIS_URL) read credentials from Redis',
    );
  const logLevel = logLevelVar(env);
  const adminPassword = env.LOA_ADMIN_PASSWORD || undefined;
  const weak = adminPassword === undefined ? null : passwordProblem(adminPassword, 'admin');
  if (weak) throw new ConfigError(`LOA_ADMIN_PASSWORD is refused: ${weak}`);
  return {
    port: intVar(env, 'PORT', 8080, 0, 65535),
    host: env.HOST && env.HOST !== '' ? env.HOST : '0.0.0.0',
    dataDir: resolve(env.DATA_DIR && env.DATA_DIR !== '' ? env.DATA_DIR : './data'),
    mqttPort: intVar(env, 'MQTT_PORT', 1883, 0, 65535),
    // With TLS on, plain MQTT serves only this machine unless MQTT_HOST says otherwise.
    mqttHost: env.MQTT_HOST && env.MQTT_HOST !== '' ? env.MQTT_HOST : tls ? '127.0.0.1' : '0.0.0.0',
    mqttUrl,
    brokerThread: onOffVar(env, 'MQTT_BROKER_THREAD', true),
    mqttUsername: env.MQTT_USERNAME || undefined,
    mqttPassword: env.MQTT_PASSWORD || undefined,
    redisUrl,
    adminPassword,
    timeZone,
    chunkBytes: intVar(env, 'MEDIA_CHUNK_BYTES', 256 * 1024, 1024, 16 * 1024 * 1024),
    wantGatherMs: intVar(env, 'MEDIA_WANT_GATHER_MS', 250, 0, 10_000),
    maxUploadBytes: intVar(env, 'MAX_UPLOAD_BYTES', 200 * 1024 * 1024, 1024, 4 * 1024 * 1024 * 1024),
    liveIdleMs: intVar(env, 'LIVE_IDLE_MS', 10_000, 1000, 600_000),
    media: mediaConfig(env),
    logLevel,
    tls,
    mqttsPort: intVar(env, 'MQTTS_PORT', 8883, 0, 65535),
    mqttsHost: env.MQTTS_HOST && env.MQTTS_HOST !== '' ? env.MQTTS_HOST : '0.0.0.0',
    mqttExportDir: env.MQTT_EXPORT_DIR ? resolve(env.MQTT_EXPORT_DIR) : undefined,
    mqttReloadPidFile: env.MQTT_RELOAD_PID_FILE ? resolve(env.MQTT_RELOAD_PID_FILE) : undefined,
    loginMaxFailures: intVar(env, 'LOGIN_MAX_FAILURES', 5, 1, 1000),
    loginLockoutMs: intVar(env, 'LOGIN_LOCKOUT_SECONDS', 15 * 60, 1, 7 * 86400) * 1000,
    webDir: env.WEB_DIR ? resolve(env.WEB_DIR) : undefined,
    publicMqttUrl: publicMqttUrl(env.PUBLIC_MQTT_URL),
  };
}

/** TLS_CERT and TLS_KEY, both or neither, as absolute paths of existing files. */
export function tlsFiles(env: Env): { certFile: string; keyFile: string } | undefined {
  const certFile = env.TLS_CERT && env.TLS_CERT !== '' ? resolve(env.TLS_CERT) : undefined;
  const keyFile = env.TLS_KEY && env.TLS_KEY !== '' ? resolve(env.TLS_KEY) : undefined;
  if (Boolean(certFile) !== Boolean(keyFile)) {
    throw new ConfigError('TLS_CERT and TLS_KEY go together: set both (PEM files) for HTTPS and MQTTS, or neither');
  }
  for (const [name, file] of [
    ['TLS_CERT', certFile],
    ['TLS_KEY', keyFile],
  ] as const) {
    if (file && !existsSync(file)) throw new ConfigError(`${name} names ${file}, which does not exist`);
  }
  return certFile && keyFile ? { certFile, keyFile } : undefined;
}

export function logLevelVar(env: Env): string {
  const logLevel = env.LOG_LEVEL ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent`);
  }
  return logLevel;
}

export function redisUrlVar(env: Env): string | undefined {
  const raw = env.REDIS_URL && env.REDIS_URL !== '' ? env.REDIS_URL : undefined;
  if (raw && !/^rediss?:\/\/[^/]+/.test(raw))
    throw new ConfigError(
      `REDIS_URL must look like redis://host:6379 or rediss://host:6380/0, got ${JSON.stringify(redact(raw))}`,
    );
  return raw;
}

/** A Redis URL may carry a password: never print it. */
export function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

function publicMqttUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  if (!/^(mqtts?|wss?):\/\/[^/]+/.test(raw))
    throw new ConfigError(`PUBLIC_MQTT_URL must look like mqtts://loa.example.vn:8883, got ${JSON.stringify(raw)}`);
  return raw;
}

export interface MediaConfig {
  /** Longest recording accepted (MEDIA_MAX_MINUTES, default 60). */
  maxDurationSeconds: number;
  /** Integrated loudness every media is brought to, LUFS (EBU R128; default −16). */
  loudnessTarget: number;
  /** Highest true peak of the output, dBTP (default −1.5). */
  truePeakCeiling: number;
  speechKbps: number;
  musicKbps: number;
  /** Ingest jobs running at once (default: one per core); the rest wait in the queue. */
  ingestConcurrency: number;
  /** Media no bulletin or plan refers to is deleted this many days after its last use. */
  retentionDays: number;
  /** Longest a burst of wants is gathered before publishing, ms (DESIGN §3). */
  wantMaxGatherMs: number;
  /** A chunk the broker took less than this long ago is taken as still on its way to the units that wanted it. */
  resendAfterMs: number;
  tts: {
    maxChars: number;
    /** A commercial Vietnamese TTS over HTTP (TTS_HTTP_URL); its voices are TTS_HTTP_VOICES. */
    http:
      | { url: string; apiKey: string | undefined; voices: string[]; bodyTemplate: string; timeoutMs: number }
      | undefined;
  };
}

function numberVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw.trim());
  if (!/^-?\d+(\.\d+)?$/.test(raw.trim()) || value < min || value > max)
    throw new ConfigError(`${name} must be a number between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

function mediaConfig(env: Env): MediaConfig {
  const url = env.TTS_HTTP_URL && env.TTS_HTTP_URL !== '' ? env.TTS_HTTP_URL : undefined;
  if (url && !/^https?:\/\/[^/]+/.test(url))
    throw new ConfigError(`TTS_HTTP_URL must be an http:// or https:// address, got ${JSON.stringify(url)}`);
  const voices = (env.TTS_HTTP_VOICES ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  if (url && voices.length === 0)
    throw new ConfigError('TTS_HTTP_VOICES must list the voices of the TTS service, comma-separated');
  const bodyTemplate =
    env.TTS_HTTP_BODY && env.TTS_HTTP_BODY !== '' ? env.TTS_HTTP_BODY : '{"text":"{{text}}","voice":"{{voice}}"}';
  try {
    JSON.parse(bodyTemplate);
  } catch {
    throw new ConfigError('TTS_HTTP_BODY must be JSON with "{{text}}" and "{{voice}}" where those go');
  }
  return {
    maxDurationSeconds: intVar(env, 'MEDIA_MAX_MINUTES', 60, 1, 24 * 60) * 60,
    loudnessTarget: numberVar(env, 'MEDIA_LOUDNESS_LUFS', -16, -40, -5),
    truePeakCeiling: numberVar(env, 'MEDIA_TRUE_PEAK_DBTP', -1.5, -9, 0),
    speechKbps: intVar(env, 'MEDIA_SPEECH_KBPS', 32, 12, 256),
    musicKbps: intVar(env, 'MEDIA_MUSIC_KBPS', 64, 12, 256),
    ingestConcurrency: intVar(env, 'INGEST_CONCURRENCY', availableParallelism(), 1, 256),
    retentionDays: intVar(env, 'MEDIA_RETENTION_DAYS', 30, 1, 36_500),
    wantMaxGatherMs: intVar(env, 'MEDIA_WANT_MAX_GATHER_MS', 2000, 0, 60_000),
    resendAfterMs: intVar(env, 'MEDIA_RESEND_AFTER_MS', 3000, 0, 600_000),
    tts: {
      maxChars: intVar(env, 'TTS_MAX_CHARS', 5000, 10, 100_000),
      http: url
        ? {
            url,
            apiKey: env.TTS_HTTP_API_KEY || undefined,
            voices,
            bodyTemplate,
            timeoutMs: intVar(env, 'TTS_HTTP_TIMEOUT_SECONDS', 60, 1, 600) * 1000,
          }
        : undefined,
    },
  };
}
