// One process of simulated units for the emergency benchmark (scripts/bench/emergency.ts): each unit
// connects with its own credentials, subscribes to its command topic, and on an `emergency` command
// verifies the server's signature the way the agent does (DESIGN §7), checks unit and expiry,
// acknowledges it, and publishes a `started` event. It reports the instant of each start over IPC.
import mqtt, { type MqttClient } from 'mqtt';
import { CommandBody, decoder, topics, type EventsMessage } from '@loa/shared';
import { keyIdOf, openEnvelope, publicKeyFromPem } from '@loa/shared/envelope';
import { inParallel } from './units.js';

type Command =
  | { type: 'connect'; url: string; serverKeyPem: string; units: Array<{ id: string; secret: string }> }
  | { type: 'close' };

const send = (msg: object) => process.send?.(msg);
const commandDecoder = decoder(CommandBody);
const clients: MqttClient[] = [];

async function connectAll(cmd: Extract<Command, { type: 'connect' }>) {
  const key = publicKeyFromPem(cmd.serverKeyPem);
  const keys = new Map([[keyIdOf(key), key]]);
  await inParallel(cmd.units, 25, async (u) => {
    const unit = u.id;
    const c = await mqtt.connectAsync(cmd.url, {
      clientId: `loa-unit-${unit}`,
      username: unit,
      password: u.secret,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    c.on('message', (_t, payload) => {
      const opened = openEnvelope(payload, keys, commandDecoder);
      if (!opened.ok) return send({ type: 'bad', reason: opened.error });
      const body = opened.value;
      if (body.unit !== unit || body.type !== 'emergency' || body.expiresAt <= Date.now())
        return send({ type: 'bad', reason: `unexpected command for ${body.unit}: ${body.type}` });
      const at = Date.now();
      const started: EventsMessage = {
        events: [
          {
            seq: 1,
            at,
            type: 'started',
            itemId: `emergency:${String(body.args.emergencyId)}:1`,
            sha256: String(body.args.sha256),
          },
        ],
      };
      void Promise.all([
        c.publishAsync(topics.cmdAck(unit), JSON.stringify({ id: body.id, ok: true }), { qos: 1 }),
        c.publishAsync(topics.events(unit), JSON.stringify(started), { qos: 1 }),
      ]).then(
        () => send({ type: 'started', unit, at }),
        (err: Error) => send({ type: 'bad', reason: err.message }),
      );
    });
    await c.subscribeAsync(topics.cmd(unit), { qos: 1 });
    clients.push(c);
  });
  send({ type: 'connected', n: clients.length });
}

process.on('message', (cmd: Command) => {
  if (cmd.type === 'connect') connectAll(cmd).catch((err: Error) => send({ type: 'error', message: err.message }));
  else if (cmd.type === 'close') void Promise.all(clients.map((c) => c.endAsync(true))).finally(() => process.exit(0));
});
