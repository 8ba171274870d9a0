// The agent's configuration: one schema with defaults and a version number (STYLE.md), filled from
// an optional JSON file, then environment variables, then command-line options (last one wins).
// Every problem is reported by the name a technician typed, never by a JSON pointer.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';
import { UNIT_ID_PATTERN } from '@loa/shared';
import { RELAY_PATTERN } from '../amplifier/relay.js';
import { joinDashedValues } from './argv.js';

export const CONFIG_VERSION = 1;

const SINK_PATTERN = '^(null|file:.+|alsa(:.+)?)$';

export const AgentConfig = Type.Object({
  version: Type.Literal(CONFIG_VERSION),
  server: Type.String({ pattern: '^(mqtts?|wss?|tcp|tls)://.+' }),
  unit: Type.String({ pattern: UNIT_ID_PATTERN }),
  secret: Type.String({ minLength: 1, maxLength: 1000 }),
  dataDir: Type.String({ minLength: 1, default: '/var/lib/loa-agent' }),
  sink: Type.String({ pattern: SINK_PATTERN, default: 'alsa' }),
  serverKey: Type.String({ minLength: 1 }),
  telemetryIntervalS: Type.Integer({ minimum: 1, maximum: 3600, default: 30 }),
  relay: Type.String({ pattern: RELAY_PATTERN, default: 'none' }),
  /** Warm-up of the amplifier when the plan names none (rule 5). */
  warmupMs: Type.Integer({ minimum: 0, maximum: 60_000, default: 3000 }),
  rebootCommand: Type.String({ minLength: 1, maxLength: 500, default: 'sudo -n /usr/bin/systemctl reboot' }),
  cacheQuotaMb: Type.Integer({ minimum: 16, maximum: 1_000_000, default: 1024 }),
  lowDiskMb: Type.Integer({ minimum: 1, maximum: 100_000, default: 200 }),
});
export type AgentConfig = Static<typeof AgentConfig>;

/** Where each setting comes from, for help text and error messages. */
const FIELDS = {
  server: { flag: 'server', env: 'LOA_SERVER', hint: 'a broker URL such as mqtt://host:1883' },
  unit: { flag: 'unit', env: 'LOA_UNIT', hint: 'the unit id, 3–64 of a-z 0-9 -' },
  secret: { flag: 'secret', env: 'LOA_SECRET', hint: "the unit's MQTT password" },
  dataDir: { flag: 'data-dir', env: 'LOA_DATA_DIR', hint: 'a writable directory' },
  sink: { flag: 'sink', env: 'LOA_SINK', hint: 'null, file:DIR, alsa or alsa:DEVICE' },
  serverKey: { flag: 'server-key', env: 'LOA_SERVER_KEY', hint: "a PEM file with the server's Ed25519 public key" },
  telemetryIntervalS: {
    flag: 'telemetry-interval',
    env: 'LOA_TELEMETRY_INTERVAL',
    hint: 'seconds, 1–3600',
  },
  relay: { flag: 'relay', env: 'LOA_RELAY', hint: 'none, file:PATH or gpio:CHIP:LINE[:active-low]' },
  warmupMs: { flag: 'warmup-ms', env: 'LOA_WARMUP_MS', hint: 'milliseconds, 0–60000' },
  rebootCommand: { flag: 'reboot-command', env: 'LOA_REBOOT_COMMAND', hint: 'a shell command that reboots the board' },
  cacheQuotaMb: { flag: 'cache-quota-mb', env: 'LOA_CACHE_QUOTA_MB', hint: 'megabytes, 16 or more' },
  lowDiskMb: { flag: 'low-disk-mb', env: 'LOA_LOW_DISK_MB', hint: 'megabytes, 1–100000' },
} as const;
const NUMERIC = new Set<string>(['telemetryIntervalS', 'warmupMs', 'cacheQuotaMb', 'lowDiskMb']);
type Field = keyof typeof FIELDS;

export const USAGE = `usage: loa-agent --server mqtt://HOST:1883 --unit ID --secret S --data-dir DIR
                 --sink null|file:DIR|alsa[:DEVICE] --server-key PEMFILE [--telemetry-interval 30]
                 [--relay none|file:PATH|gpio:CHIP:LINE[:active-low]] [--warmup-ms 3000]
                 [--reboot-command CMD] [--cache-quota-mb 1024] [--low-disk-mb 200] [--config FILE.json]
       loa-agent enroll --server https://SERVER --token TOKEN [--config /etc/loa-agent/config.json]
each option can also come from the environment: ${Object.values(FIELDS)
  .map((f) => f.env)
  .join(', ')}, LOA_CONFIG`;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
  }
}

export type ConfigResult =
  { ok: true; config: AgentConfig } | { ok: false; help: true } | { ok: false; help: false; error: ConfigError };

const checker = Compile(AgentConfig);

/** Builds and validates the configuration; never throws. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): ConfigResult {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(
      [...Object.values(FIELDS).map((f) => f.flag), 'config'].map((flag) => [flag, { type: 'string' as const }]),
    );
    values = parseArgs({
      args: joinDashedValues(argv, Object.keys(options)),
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }).values as Record<string, string | boolean | undefined>;
  } catch (err) {
    return { ok: false, help: false, error: new ConfigError([(err as Error).message]) };
  }
  if (values.help) return { ok: false, help: true };

  const problems: string[] = [];
  const raw: Record<string, unknown> = {};
  const file = (values.config as string | undefined) ?? env.LOA_CONFIG;
  if (file) {
    const loaded = readConfigFile(file);
    if ('problem' in loaded) problems.push(loaded.problem);
    else Object.assign(raw, loaded.value);
  }
  raw.version ??= CONFIG_VERSION;
  for (const [key, field] of Object.entries(FIELDS) as [Field, (typeof FIELDS)[Field]][]) {
    const text = (values[field.flag] as string | undefined) ?? env[field.env];
    if (text === undefined || text === '') continue;
    raw[key] = NUMERIC.has(key) ? toNumber(text) : text;
  }
  if (problems.length) return { ok: false, help: false, error: new ConfigError(problems) };

  const withDefaults = Value.Default(AgentConfig, raw) as Record<string, unknown>;
  if (checker.Check(withDefaults)) return { ok: true, config: withDefaults as AgentConfig };
  for (const e of checker.Errors(withDefaults)) {
    const missing = (e.params as { requiredProperties?: string[] }).requiredProperties;
    const keys = e.instancePath ? [e.instancePath.slice(1)] : (missing ?? []);
    for (const key of keys) problems.push(describe(key, withDefaults[key], e.keyword));
  }
  return { ok: false, help: false, error: new ConfigError([...new Set(problems)]) };
}

function describe(key: string, value: unknown, keyword: string): string {
  if (key === 'version')
    return `config version ${JSON.stringify(value)} is not one this agent understands (${CONFIG_VERSION})`;
  const field = FIELDS[key as Field];
  if (!field) return `unknown setting ${JSON.stringify(key)} (${keyword})`;
  const name = `--${field.flag} (${field.env})`;
  if (value === undefined || keyword === 'required') return `${name} is required: ${field.hint}`;
  // The secret is never echoed back, even when it is malformed.
  const shown = key === 'secret' ? '' : ` (got ${JSON.stringify(value)})`;
  return `${name} must be ${field.hint}${shown}`;
}

function toNumber(text: string): number | string {
  return /^\d+$/.test(text.trim()) ? Number(text) : text;
}

/**
 * Reads a JSON config file and migrates it to the current version. Version 1 is the first; a
 * later version adds a step here (`if (v === 1) { …; v = 2 }`) so boards with old files keep booting.
 */
function readConfigFile(path: string): { value: Record<string, unknown> } | { problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return { problem: `--config (LOA_CONFIG) ${path}: ${(err as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { problem: `--config (LOA_CONFIG) ${path}: not a JSON object` };
  }
  const value = { ...(parsed as Record<string, unknown>) };
  value.version ??= CONFIG_VERSION;
  return { value };
}

export type SinkSpec = { kind: 'null' } | { kind: 'file'; dir: string } | { kind: 'alsa'; device: string };

export function parseSink(spec: string): SinkSpec {
  if (spec === 'null') return { kind: 'null' };
  if (spec.startsWith('file:')) return { kind: 'file', dir: spec.slice('file:'.length) };
  if (spec === 'alsa') return { kind: 'alsa', device: 'default' };
  if (spec.startsWith('alsa:')) return { kind: 'alsa', device: spec.slice('alsa:'.length) };
  throw new Error(`unknown sink ${JSON.stringify(spec)}`);
}
