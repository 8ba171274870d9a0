// `npm run broker:export -- --data-dir DIR --out DIR`: writes a Mosquitto configuration equivalent
// to the embedded broker's rules (DESIGN §7, §8) from a Loa data directory: `passwd` (Mosquitto's
// `$7$` PBKDF2-SHA512 hashes, as mosquitto_passwd writes them), `acl` (generated from
// server/src/broker/acl.ts) and `mosquitto.conf` using both. See scripts/broker/README.md.
//
// The server's own client signs in to Mosquitto as MQTT_USERNAME with MQTT_PASSWORD — the same
// variables the server reads with MQTT_URL — so the password is taken from the environment, never
// from the command line (which every user of the machine can read in `ps`).
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { openDatabase } from '../../server/src/db/database.js';
import { exportMosquittoConfig } from '../../server/src/broker/mosquitto.js';

const USAGE = `Usage: npm run broker:export -- --data-dir DIR --out DIR [--port 1883] [--host ADDRESS]
         [--tls-cert FILE --tls-key FILE [--tls-port 8883]]
Environment: MQTT_USERNAME (default loa-server) and MQTT_PASSWORD (required): the server's broker login.`;

export interface ExportResult {
  files: string[];
  units: number;
  missing: string[];
  revoked: string[];
}

export function main(args: string[], env: Record<string, string | undefined> = process.env): ExportResult {
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string' },
      out: { type: 'string' },
      port: { type: 'string', default: '1883' },
      host: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-port': { type: 'string', default: '8883' },
      help: { type: 'boolean' },
    },
  });
  const fail = (message: string): never => {
    throw new Error(`${message}\n${USAGE}`);
  };
  if (values.help) fail('');
  if (!values['data-dir']) fail('--data-dir is required: the DATA_DIR of the Loa server.');
  if (!values.out) fail('--out is required: where to write passwd, acl and mosquitto.conf.');
  const password = env.MQTT_PASSWORD;
  if (!password || password.length < 16)
    fail('MQTT_PASSWORD is required (16 characters or more): the server signs in with it.');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port must be a port number, got ${values.port}.`);
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) fail('--tls-cert and --tls-key go together.');

  const db = openDatabase(join(resolve(values['data-dir']!), 'loa.db'));
  try {
    const out = exportMosquittoConfig(db, {
      dir: resolve(values.out!),
      server: { username: env.MQTT_USERNAME || 'loa-server', password: password! },
      port,
      ...(values.host ? { host: values.host } : {}),
      ...(values['tls-cert']
        ? {
            tls: {
              port: Number(values['tls-port']),
              certFile: resolve(values['tls-cert']),
              keyFile: resolve(values['tls-key']!),
            },
          }
        : {}),
    });
    return { files: out.files, units: out.lines.length - 1, missing: out.missing, revoked: out.revoked };
  } finally {
    db.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    const r = main(process.argv.slice(2));
    const lines = [
      `Wrote ${r.files.join(', ')}`,
      `${r.units} unit(s) can sign in.`,
      ...(r.revoked.length ? [`Revoked (left out): ${r.revoked.join(', ')}`] : []),
      ...(r.missing.length
        ? [`No Mosquitto hash yet (rotate their secret, POST /api/units/ID/secret): ${r.missing.join(', ')}`]
        : []),
      `Start: mosquitto -c ${r.files[2]}   — reload after a new export: kill -HUP <mosquitto pid>`,
      'Then run the server with MQTT_URL=mqtt://HOST:PORT and the same MQTT_USERNAME / MQTT_PASSWORD',
      '(and MQTT_EXPORT_DIR / MQTT_RELOAD_PID_FILE to keep these files current by itself).',
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } catch (err) {
    process.stderr.write(`broker:export: ${(err as Error).message}\n`);
    process.exit(2);
  }
}
