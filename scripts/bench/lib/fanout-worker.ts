// One process of simulated units for the fan-out benchmark (scripts/bench/fanout.ts): it connects
// its share of units to the broker, and on "start" has each of them want the media, assemble it
// and verify its SHA-256, reporting back over IPC.
import { SimUnit } from '../../../server/src/media/testing/sim-unit.js';
import { inParallel } from './units.js';

type Command =
  | { type: 'connect'; url: string; sha256: string; units: Array<{ id: string; secret: string }>; wantEveryMs: number }
  | { type: 'start' }
  | { type: 'close' };

const send = (msg: object) => process.send?.(msg);
let units: SimUnit[] = [];
let verified = 0;

async function connectAll(cmd: Extract<Command, { type: 'connect' }>) {
  units = cmd.units.map(
    (u) =>
      new SimUnit({
        url: cmd.url,
        unit: u.id,
        secret: u.secret,
        sha256: cmd.sha256,
        wantEveryMs: cmd.wantEveryMs,
        onVerified: () => {
          verified++;
          if (verified === units.length) report('done');
        },
      }),
  );
  await inParallel(units, 25, (u) => u.connect());
  send({ type: 'connected', n: units.length });
}

function report(type: 'progress' | 'done') {
  send({
    type,
    verified,
    wantsSent: units.reduce((s, u) => s + u.wantsSent, 0),
    bytesReceived: units.reduce((s, u) => s + u.bytesReceived, 0),
    mismatches: units.reduce((s, u) => s + u.mismatches, 0),
  });
}

process.on('message', (cmd: Command) => {
  if (cmd.type === 'connect')
    connectAll(cmd).catch((err: Error) => {
      send({ type: 'error', message: err.message });
    });
  else if (cmd.type === 'start') {
    for (const u of units) u.start();
    const timer = setInterval(() => (verified < units.length ? report('progress') : clearInterval(timer)), 500);
  } else if (cmd.type === 'close') {
    void Promise.all(units.map((u) => u.close())).finally(() => process.exit(0));
  }
});
