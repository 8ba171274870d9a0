import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '../log.js';
import type { EventSink, NewEvent } from '../events/event-queue.js';
import { fakeGpioset } from '../testing/fake-gpioset.js';
import { waitFor } from '../testing/fake-server.js';
import { Amplifier } from './amplifier.js';
import { fileRelay, type RelaySwitch } from './file-relay.js';
import { gpioRelay } from './gpio-relay.js';
import { parseRelay, type Relay } from './relay.js';

let dir: string;
let events: NewEvent[];
const sink: EventSink = { add: async (e) => (events.push(e), { ...e, seq: events.length, at: Date.now() }) };
const opened: Amplifier[] = [];

async function amplifier(relay: Relay) {
  const log = memoryLogger();
  const amp = new Amplifier({ relay, log: log.child('amplifier'), events: sink });
  await amp.start();
  opened.push(amp);
  return { amp, log };
}

const switches = async (file: string) =>
  (await readFile(file, 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as RelaySwitch).on);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loa-amp-'));
  events = [];
});
afterEach(async () => {
  for (const a of opened.splice(0)) await a.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('parseRelay', () => {
  it('knows none, file:PATH and gpio:CHIP:LINE[:active-low]', () => {
    expect(parseRelay('none')).toEqual({ kind: 'none' });
    expect(parseRelay('file:/tmp/r.jsonl')).toEqual({ kind: 'file', path: '/tmp/r.jsonl' });
    expect(parseRelay('gpio:gpiochip0:17')).toEqual({ kind: 'gpio', chip: 'gpiochip0', line: 17, activeLow: false });
    expect(parseRelay('gpio:0:27:active-low')).toEqual({ kind: 'gpio', chip: '0', line: 27, activeLow: true });
    expect(() => parseRelay('gpio17')).toThrow(/unknown relay/);
  });
});

describe('Amplifier', () => {
  it('sets the relay off at start, even if it was left on by a crash', async () => {
    const file = join(dir, 'relay.jsonl');
    await writeFile(file, `${JSON.stringify({ on: true, at: 1 })}\n`);
    const { amp, log } = await amplifier(fileRelay(file));
    expect(await switches(file)).toEqual([true, false]);
    expect(amp.on).toBe(false);
    expect(log.lines).toContain('agent:amplifier amplifier off (agent start)');
  });

  it('stays on while anyone holds it, and goes off after the last release', async () => {
    const file = join(dir, 'relay.jsonl');
    const { amp } = await amplifier(fileRelay(file));
    const plan = amp.hold('plan');
    const tone = amp.hold('test-tone');
    await amp.idle();
    expect(amp.on).toBe(true);
    plan();
    plan(); // a second release of the same hold changes nothing
    await amp.idle();
    expect(amp.on).toBe(true);
    tone();
    await amp.idle();
    expect(amp.on).toBe(false);
    expect(await switches(file)).toEqual([false, true, false]);
  });

  it('reports a relay that cannot be switched as one fault event, and keeps trying', async () => {
    let fail = true;
    const relay: Relay = {
      name: 'flaky',
      set: async () => {
        if (fail) throw new Error('line busy');
      },
      close: async () => undefined,
    };
    const { amp, log } = await amplifier(relay);
    expect(events).toEqual([{ type: 'fault', reason: 'amplifier relay flaky could not be set off: line busy' }]);
    const release = amp.hold('plan');
    await amp.idle();
    expect(events).toHaveLength(1);
    expect(log.lines).toContain('agent:amplifier error: amplifier relay flaky could not be set on: line busy');
    fail = false;
    release();
    const again = amp.hold('plan');
    await amp.idle();
    expect(amp.on).toBe(true);
    again();
  });
});

describe('the gpioset relay', () => {
  it('holds the line with libgpiod 2.x, active-low, and replaces the holder on each switch', async () => {
    const tool = await fakeGpioset(join(dir, 'v2'));
    const pidFile = join(dir, 'relay.pid');
    const relay = gpioRelay({ chip: 'gpiochip0', line: 17, activeLow: true, gpioset: tool.path, pidFile });
    const { amp } = await amplifier(relay);
    const release = amp.hold('plan');
    await amp.idle();
    release();
    await amp.idle();
    const lines = await tool.log();
    const args = lines.filter((l) => !l.endsWith(' exit')).map((l) => l.split(' ').slice(1).join(' '));
    expect(args).toEqual([
      '--active-low --chip gpiochip0 17=0',
      '--active-low --chip gpiochip0 17=1',
      '--active-low --chip gpiochip0 17=0',
    ]);
    // Each holder was stopped before the next one took the line.
    expect(lines.filter((l) => l.endsWith(' exit'))).toHaveLength(2);
    const pid = Number(await readFile(pidFile, 'utf8'));
    expect(lines.at(-1)).toBe(`${pid} --active-low --chip gpiochip0 17=0`);
  });

  it('uses --mode=signal with libgpiod 1.x', async () => {
    const tool = await fakeGpioset(join(dir, 'v1'), { major: 1 });
    const relay = gpioRelay({ chip: '0', line: 4, activeLow: false, gpioset: tool.path, pidFile: join(dir, 'p') });
    await amplifier(relay);
    expect((await tool.log())[0]!.split(' ').slice(1).join(' ')).toBe('--mode=signal 0 4=0');
  });

  it('kills a holder left behind by an agent killed with -9, before setting the relay off', async () => {
    const tool = await fakeGpioset(join(dir, 'v2'));
    const pidFile = join(dir, 'relay.pid');
    // The crashed agent's gpioset, still holding the line on.
    const orphan = spawn(tool.path, ['--chip', 'gpiochip0', '17=1'], { stdio: 'ignore', detached: true });
    await waitFor('the orphan holding the line', async () => (await tool.log()).length === 1);
    await writeFile(pidFile, String(orphan.pid));
    const orphanExit = new Promise((r) => orphan.once('exit', r));
    const relay = gpioRelay({ chip: 'gpiochip0', line: 17, activeLow: false, gpioset: tool.path, pidFile });
    await amplifier(relay);
    await orphanExit;
    const lines = await tool.log();
    expect(lines[1]).toBe(`${orphan.pid} exit`);
    expect(lines[2]).toMatch(/ --chip gpiochip0 17=0$/);
  });

  it('reports a line it cannot take, and a missing gpioset, with the fix', async () => {
    const busy = await fakeGpioset(join(dir, 'busy'), { busy: true });
    await amplifier(gpioRelay({ chip: 'c', line: 1, activeLow: false, gpioset: busy.path, pidFile: join(dir, 'p1') }));
    expect(events[0]!.reason).toMatch(
      /^amplifier relay gpio:c:1 could not be set off: gpioset exited \(code 1\): gpioset: error setting the GPIO line values: Device or resource busy$/,
    );
    events = [];
    const missing = join(dir, 'nowhere', 'gpioset');
    await amplifier(gpioRelay({ chip: 'c', line: 1, activeLow: false, gpioset: missing, pidFile: join(dir, 'p2') }));
    expect(events[0]!.reason).toBe(
      `amplifier relay gpio:c:1 could not be set off: ${missing} not found: install it with \`apt-get install gpiod\` or set GPIOSET_PATH`,
    );
  });
});
