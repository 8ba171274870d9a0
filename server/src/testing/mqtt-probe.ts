// Tries the broker's rules from outside, with the real `mosquitto_pub` / `mosquitto_sub` clients a
// person with a stolen unit credential would use (issue #4). The same cases run against the
// embedded broker (server/src/broker) and a real Mosquitto with the exported configuration (tests/).
import { execFile, spawn } from 'node:child_process';
import mqtt, { type MqttClient } from 'mqtt';

export interface Credential {
  host?: string;
  port: number;
  username: string;
  password: string;
  clientId?: string;
}

const SHA = 'ab'.repeat(32);

/** Every publish a unit's credential must not make (DESIGN §7), for unit `own` beside unit `other`. */
export function forbiddenPublishes(own: string, other: string): string[] {
  return [
    // Another unit's topics.
    ...['status', 'telemetry', 'events', 'cmd/ack', 'time'].map((s) => `loa/v1/units/${other}/${s}`),
    // What only the server sends: plans (a forged plan), commands, acks, time replies — its own or another's.
    ...['plan', 'cmd', 'events/ack', 'time/reply'].map((s) => `loa/v1/units/${own}/${s}`),
    `loa/v1/units/${other}/plan`,
    `loa/v1/units/${other}/cmd`,
    // Media chunks and live frames: only the server speaks to loudspeakers.
    `loa/v1/media/${SHA}/0/1`,
    'loa/v1/live/session-1',
    // Outside the protocol.
    `loa/v1/units/${own}/status/extra`,
    `loa/v1/units/${own}`,
    'loa/v1/anything',
    'other/topic',
  ];
}

/** Every subscription a unit's credential must not get. */
export function forbiddenSubscriptions(own: string, other: string): string[] {
  return [
    ...['plan', 'cmd', 'events/ack', 'time/reply', 'status', 'telemetry', 'events'].map(
      (s) => `loa/v1/units/${other}/${s}`,
    ),
    // Its own outgoing topics and anything broader than what it receives.
    ...['status', 'telemetry', 'events', 'cmd/ack', 'time'].map((s) => `loa/v1/units/${own}/${s}`),
    `loa/v1/units/${own}/#`,
    `loa/v1/units/${own}/+`,
    'loa/v1/units/+/plan',
    'loa/v1/units/#',
    'loa/v1/#',
    '#',
    '+/+/+/+/+',
    // Other units' media wants (DESIGN §7's departure, acl.ts).
    'loa/v1/media/+/want',
    `loa/v1/media/${SHA}/want`,
    'loa/v1/media/#',
    '$SYS/#',
  ];
}

export const allowedPublishes = (own: string) => [
  `loa/v1/units/${own}/telemetry`,
  `loa/v1/units/${own}/status`,
  `loa/v1/units/${own}/events`,
  `loa/v1/units/${own}/cmd/ack`,
  `loa/v1/units/${own}/time`,
  `loa/v1/media/${SHA}/want`,
];
export const allowedSubscriptions = (own: string) => [
  `loa/v1/units/${own}/plan`,
  `loa/v1/units/${own}/cmd`,
  `loa/v1/units/${own}/events/ack`,
  `loa/v1/units/${own}/time/reply`,
  `loa/v1/media/${SHA}/+/+`,
  'loa/v1/live/+',
];

function args(c: Credential): string[] {
  return [
    '-h',
    c.host ?? '127.0.0.1',
    '-p',
    String(c.port),
    '-u',
    c.username,
    '-P',
    c.password,
    '-i',
    c.clientId ?? `loa-unit-${c.username}`,
    '-V',
    'mqttv311',
  ];
}

function run(cmd: string, argv: string[], timeoutMs: number) {
  return new Promise<{ code: number; output: string }>((resolve) => {
    execFile(cmd, argv, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : -1
        : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/**
 * Publishes once with mosquitto_pub (QoS 1); resolves when the client is done, however it ended.
 * `sent` says the broker accepted the credential (CONNACK 0) and the PUBLISH went out (from `-d`):
 * a forbidden publish that never left proves nothing about the broker's rules.
 */
export async function mosquittoPub(c: Credential, topic: string, message: string) {
  const r = await run('mosquitto_pub', [...args(c), '-d', '-t', topic, '-m', message, '-q', '1'], 10_000);
  const sent = /received CONNACK \(0\)/.test(r.output) && /sending PUBLISH/.test(r.output);
  return { ...r, sent };
}

/**
 * Subscribes with mosquitto_sub and reports whether the broker granted the subscription: a
 * refused one ends at once ("All subscription requests were denied"); a granted one waits for a
 * message until `-W` seconds pass.
 */
export async function mosquittoSubGranted(
  c: Credential,
  filter: string,
): Promise<{ granted: boolean; output: string }> {
  const r = await run('mosquitto_sub', [...args(c), '-t', filter, '-q', '1', '-W', '1', '-C', '1'], 10_000);
  const denied = /denied|not authori[sz]ed|refused/i.test(r.output);
  return { granted: !denied && (r.code === 27 || r.code === 0), output: `exit ${r.code}: ${r.output.trim()}` };
}

/** A client that records every message it is allowed to see (the server's own credential). */
export async function watcher(
  url: string,
  username: string,
  password: string,
  opts: { ca?: Buffer; filter?: string } = {},
) {
  const seen: Array<{ topic: string; payload: string; retain: boolean }> = [];
  const client: MqttClient = await mqtt.connectAsync(url, {
    username,
    password,
    clientId: `watcher-${Math.random().toString(16).slice(2)}`,
    reconnectPeriod: 0,
    ...(opts.ca ? { ca: opts.ca } : {}),
  });
  client.on('message', (topic, payload, packet) =>
    seen.push({ topic, payload: payload.toString('utf8'), retain: packet.retain }),
  );
  await client.subscribeAsync(opts.filter ?? 'loa/v1/#', { qos: 1 });
  return { seen, close: () => client.endAsync() };
}

/**
 * One mosquitto_sub client holding every filter at once (one client: Mosquitto's
 * `use_username_as_clientid` lets a unit have only one connection), printing what it receives.
 * `ready` resolves once its SUBACK came back; `done` with the lines `topic payload` it received.
 */
export function mosquittoSubscribeAll(c: Credential, filters: string[], seconds: number) {
  const child = spawn('mosquitto_sub', [
    ...args(c),
    '-v',
    '-d',
    '-W',
    String(seconds),
    ...filters.flatMap((f) => ['-t', f]),
  ]);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    const check = () => (/received SUBACK/.test(out) ? resolve() : undefined);
    child.stdout.on('data', check);
    child.once('exit', () => reject(new Error(`mosquitto_sub ended before subscribing: ${out}`)));
  });
  const done = new Promise<string[]>((resolve) =>
    child.once('exit', () => resolve(out.split('\n').filter((l) => l.startsWith('loa/') || l.startsWith('$')))),
  );
  return { ready, done };
}
