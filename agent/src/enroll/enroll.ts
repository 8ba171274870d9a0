// `loa-agent enroll --server URL --token T` (issue 7): trades a one-time enrollment token, made by an
// administrator on the server, for this board's unit id, its MQTT secret and the server's public
// key, and writes them into the agent's config file and key file with 0600 permissions. The token
// is spent on the server's side at the first use; a second run needs a new one.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import Type from 'typebox';
import { decoder } from '@loa/shared';
import { publicKeyFromPem } from '@loa/shared/envelope';
import { writeFileAtomic } from '../fs/durable.js';
import { joinDashedValues } from '../config/argv.js';
import { CONFIG_VERSION } from '../config/config.js';

export const ENROLL_USAGE = `usage: loa-agent enroll --server https://SERVER --token TOKEN [--config /etc/loa-agent/config.json]
                        [--mqtt-url mqtt://HOST:1883] [--destdir STAGING-ROOT]
the token can also come from LOA_ENROLL_TOKEN (safer than the command line, which ps shows)`;

const Enrollment = Type.Object({
  unitId: Type.String({ pattern: '^[a-z0-9-]{3,64}$' }),
  secret: Type.String({ minLength: 1, maxLength: 1000 }),
  serverPublicKey: Type.String({ minLength: 1, maxLength: 10_000 }),
  mqttUrl: Type.String({ pattern: '^(mqtts?|wss?|tcp|tls)://.+' }),
});
const enrollmentDecoder = decoder(Enrollment);

export interface EnrollResult {
  unitId: string;
  configPath: string;
  keyPath: string;
  mqttUrl: string;
}

export class EnrollError extends Error {}

export async function enroll(opts: {
  server: string;
  token: string;
  configPath: string;
  mqttUrl?: string;
  /** Writes under this root while recording paths as the board will see them (image building, tests). */
  destdir?: string;
}): Promise<EnrollResult> {
  const url = `${opts.server.replace(/\/+$/, '')}/api/enroll`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: opts.token }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    const cause = (err as Error & { cause?: Error & { code?: string } }).cause;
    const why = cause ? [cause.code, cause.message].filter(Boolean).join(' ') : (err as Error).message;
    throw new EnrollError(`cannot reach ${url}: ${why}`);
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text.slice(0, 300);
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      // not JSON: show the start of the body
    }
    throw new EnrollError(`the server refused the enrollment (HTTP ${res.status}): ${message}`);
  }
  const got = enrollmentDecoder.decode(text);
  if (!got.ok) throw new EnrollError(`unexpected answer from ${url}: ${got.error}`);
  const { unitId, secret, serverPublicKey } = got.value;
  try {
    publicKeyFromPem(serverPublicKey);
  } catch (err) {
    throw new EnrollError(`the server's public key is not usable: ${(err as Error).message}`);
  }
  const mqttUrl = opts.mqttUrl ?? got.value.mqttUrl;
  const onDisk = (path: string) => (opts.destdir ? join(opts.destdir, path) : path);
  const keyPath = join(dirname(opts.configPath), 'server-key.pem');
  await mkdir(dirname(onDisk(opts.configPath)), { recursive: true });
  await writeFile(onDisk(keyPath), serverPublicKey, { mode: 0o600 });
  await chmod(onDisk(keyPath), 0o600);
  // Settings already in the file (sink, relay, data dir…) are kept; enrollment sets the identity.
  const existing = await readFile(onDisk(opts.configPath), 'utf8')
    .then((t) => JSON.parse(t) as Record<string, unknown>)
    .catch(() => ({}));
  const config = { ...existing, version: CONFIG_VERSION, server: mqttUrl, unit: unitId, secret, serverKey: keyPath };
  await writeFileAtomic(onDisk(opts.configPath), `${JSON.stringify(config, null, 2)}\n`);
  await chmod(onDisk(opts.configPath), 0o600);
  return { unitId, configPath: opts.configPath, keyPath, mqttUrl };
}

/** The `enroll` subcommand; returns the exit code. Never prints the secret. */
export async function runEnroll(argv: string[], env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    const valueOptions = ['server', 'token', 'config', 'mqtt-url', 'destdir'];
    values = parseArgs({
      args: joinDashedValues(argv, valueOptions),
      options: {
        ...Object.fromEntries(valueOptions.map((o) => [o, { type: 'string' as const }])),
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (err) {
    out(`${(err as Error).message}\n${ENROLL_USAGE}`);
    return 2;
  }
  const token = (values.token as string | undefined) ?? env.LOA_ENROLL_TOKEN;
  const server = values.server as string | undefined;
  if (values.help || !server || !token || !/^https?:\/\/.+/.test(server)) {
    out(ENROLL_USAGE);
    return values.help ? 0 : 2;
  }
  const configPath = (values.config as string | undefined) ?? env.LOA_CONFIG ?? '/etc/loa-agent/config.json';
  try {
    const r = await enroll({
      server,
      token,
      configPath,
      mqttUrl: values['mqtt-url'] as string | undefined,
      destdir: values.destdir as string | undefined,
    });
    out(`enrolled as unit ${r.unitId}; broker ${r.mqttUrl}; config ${r.configPath}, server key ${r.keyPath}`);
    return 0;
  } catch (err) {
    out(`enrollment failed: ${(err as Error).message}`);
    return 1;
  }
}
