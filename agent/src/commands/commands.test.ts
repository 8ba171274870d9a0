import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type CommandBody } from '@loa/shared';
import { signEnvelope } from '@loa/shared/envelope';
import { startBroker, type TestBroker } from '../testing/broker.js';
import { makeKeys, type TestKeys } from '../testing/keys.js';
import { makeSine, type TestMedia } from '../testing/audio.js';
import { FakeServer, waitFor } from '../testing/fake-server.js';
import { relaySwitches, sinkRecords, startAgent, type TestAgent } from '../testing/agent.js';
import { item, plan } from '../testing/plans.js';

const UNIT = 'cum-loa-dinh';
const SECRET = 'pw';

let dir: string;
let broker: TestBroker;
let keys: TestKeys;
let server: FakeServer;
let agent: TestAgent;
let sine: TestMedia;
let n = 0;
let version = 0;

const cmd = (
  type: CommandBody['type'],
  args: Record<string, unknown> = {},
  extra: Partial<CommandBody> = {},
): CommandBody => ({
  unit: UNIT,
  id: `c-${++n}`,
  type,
  args,
  issuedAt: Date.now(),
  expiresAt: Date.now() + 60_000,
  ...extra,
});

async function send(body: CommandBody) {
  await server.publish(topics.cmd(UNIT), keys.sign(body));
  return waitFor(`ack of ${body.id}`, () => server.acks.find((a) => a.id === body.id));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loa-cmd-'));
  broker = await startBroker({ [UNIT]: SECRET });
  keys = await makeKeys(dir);
  server = new FakeServer(await broker.serverClient());
  await server.start();
  sine = await makeSine(dir, 2);
  server.media.set(sine.ref.sha256, sine.bytes);
  await writeFile(join(dir, 'reboot.sh'), `echo rebooted >> ${join(dir, 'reboots')}\n`);
  agent = await startAgent({
    url: broker.url,
    unit: UNIT,
    secret: SECRET,
    pemPath: keys.pemPath,
    config: { rebootCommand: `sh ${join(dir, 'reboot.sh')}` },
  });
  await waitFor('online', () => server.statuses.some((s) => s.online));
});
afterAll(async () => {
  await agent.stop();
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

describe('commands', () => {
  it('sets the unit volume, and refuses a volume out of range', async () => {
    expect(await send(cmd('volume', { volume: 35 }))).toEqual({ id: `c-${n}`, ok: true });
    expect(agent.controller.parts.state.volume).toBe(35);
    expect(await send(cmd('volume', { volume: 140 }))).toMatchObject({
      ok: false,
      error: 'args.volume must be an integer 0–100',
    });
    expect(agent.controller.parts.state.volume).toBe(35);
  });

  it('mutes and unmutes, and reports it in telemetry', async () => {
    await send(cmd('mute'));
    expect(agent.controller.parts.state.muted).toBe(true);
    const before = server.telemetry.length;
    await agent.controller.parts.telemetry.send();
    const t = await waitFor('telemetry', () => server.telemetry.length > before && server.telemetry.at(-1));
    expect(t).toMatchObject({ muted: true, volume: 35, planVersion: null, agentVersion: '0.1.0' });
    expect(t.diskFreeBytes).toBeGreaterThan(0);
    // The real disk's size, as statfs tells it: the server judges the free share from both.
    expect(t.diskTotalBytes).toBeGreaterThanOrEqual(t.diskFreeBytes!);
    await send(cmd('unmute'));
    expect(agent.controller.parts.state.muted).toBe(false);
  });

  it('refuses a live-start without its arguments, in words', async () => {
    expect(await send(cmd('live-start'))).toMatchObject({ ok: false, error: 'args.sessionId is missing' });
  });

  it('drops an unsigned, a forged and a malformed command with a logged reason, and runs none', async () => {
    const unsigned = cmd('mute');
    const forged = cmd('mute');
    const before = server.acks.length;
    await server.publish(topics.cmd(UNIT), JSON.stringify(unsigned));
    await server.publish(
      topics.cmd(UNIT),
      JSON.stringify(signEnvelope(forged, generateKeyPairSync('ed25519').privateKey, keys.kid)),
    );
    await server.publish(topics.cmd(UNIT), keys.sign({ unit: UNIT, id: 'c-bad', type: 'explode', args: {} }));
    await waitFor(
      'three drops',
      () => agent.log.lines.filter((l) => l.startsWith('agent:commands dropped command: ')).length >= 3,
    );
    const drops = agent.log.lines.filter((l) => l.startsWith('agent:commands dropped command: '));
    expect(drops).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/not an envelope: invalid payload/),
        'agent:commands dropped command: bad signature',
        expect.stringMatching(/invalid payload/),
      ]),
    );
    expect(server.acks.length).toBe(before);
    expect(agent.controller.parts.state.muted).toBe(false);
  });

  it('drops a command for another unit, an expired one, and runs a repeated id only once', async () => {
    await server.publish(topics.cmd(UNIT), keys.sign(cmd('mute', {}, { unit: 'thon-khac' })));
    await server.publish(topics.cmd(UNIT), keys.sign(cmd('mute', {}, { expiresAt: Date.now() - 1 })));
    const again = cmd('volume', { volume: 60 });
    await send(again);
    await agent.controller.parts.state.update({ volume: 10 });
    await server.publish(topics.cmd(UNIT), keys.sign(again));
    await waitFor('the re-ack', () => server.acks.filter((a) => a.id === again.id).length === 2);
    expect(agent.controller.parts.state.volume).toBe(10);
    expect(agent.log.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^agent:commands dropped command c-\d+: for unit thon-khac, not cum-loa-dinh$/),
        expect.stringMatching(/^agent:commands dropped command c-\d+: expired at /),
        `agent:commands dropped command ${again.id}: already seen`,
      ]),
    );
    expect(agent.controller.parts.state.muted).toBe(false);
  });

  it('stops the item playing, reported as preempted', async () => {
    const startAt = Date.now() + 1500;
    await server.publishPlan(UNIT, keys.sign(plan(UNIT, ++version, [item('talk', sine.ref, startAt)])));
    await waitFor('started', () => server.events.find((e) => e.type === 'started'), 5000);
    expect(await send(cmd('stop'))).toMatchObject({ ok: true });
    const pre = await waitFor('preempted', () => server.events.find((e) => e.type === 'preempted'));
    expect(pre).toMatchObject({ itemId: 'talk', reason: 'stopped by command' });
  }, 10_000);

  it('resync publishes the status again', async () => {
    const before = server.statuses.length;
    await send(cmd('resync'));
    const s = await waitFor('status', () => server.statuses.length > before && server.statuses.at(-1));
    expect(s).toMatchObject({ online: true, scheduleVersion: version, agentVersion: '0.1.0' });
  });

  it('plays a test tone after the amplifier warm-up, logs it, then switches the amplifier off', async () => {
    await server.publishPlan(UNIT, keys.sign(plan(UNIT, ++version, [], { warmupMs: 400 })));
    await waitFor('the plan', () => agent.controller.parts.plans.version === version);
    const switchesBefore = (await relaySwitches(agent)).length;
    const tone = cmd('test-tone', { seconds: 1 });
    const sent = Date.now();
    expect(await send(tone)).toEqual({ id: tone.id, ok: true });
    const rec = await waitFor('the tone in the sink', async () =>
      (await sinkRecords(agent)).find((r) => r.itemId === `cmd:${tone.id}`),
    );
    const switches = (await relaySwitches(agent)).slice(switchesBefore);
    expect(switches[0]!.on).toBe(true);
    expect(switches[0]!.at).toBeGreaterThanOrEqual(sent - 5);
    // Sound only once the amplifier is warm.
    expect(rec.startedAt - switches[0]!.at).toBeGreaterThanOrEqual(390);
    expect(rec.samples).toBe(48_000);
    const finished = await waitFor('finished', () =>
      server.events.find((e) => e.itemId === `cmd:${tone.id}` && e.type === 'finished'),
    );
    expect(finished.durationMs).toBe(1000);
    const off = await waitFor('the amplifier off', async () =>
      (await relaySwitches(agent)).slice(switchesBefore).find((s) => !s.on),
    );
    expect(off.at).toBeGreaterThanOrEqual(rec.endedAt - 50);
    expect(agent.controller.parts.amplifier.on).toBe(false);
  }, 10_000);

  it('refuses a test tone outside every window unless forced, and while muted', async () => {
    const now = Date.now();
    const windows = [{ startAt: now + 3600_000, endAt: now + 7200_000 }];
    await server.publishPlan(UNIT, keys.sign(plan(UNIT, ++version, [], { windows, warmupMs: 200 })));
    await waitFor('the plan', () => agent.controller.parts.plans.version === version);
    expect(await send(cmd('test-tone', { seconds: 1 }))).toMatchObject({
      ok: false,
      error: 'outside every broadcast window of the plan held (rule 1); send force: true to sound anyway',
    });
    expect(await send(cmd('test-tone', { seconds: 1, force: true }))).toMatchObject({ ok: true });
    await waitFor('the forced tone over', () => agent.controller.parts.scheduler.playing === null);
    expect(await send(cmd('test-tone', { seconds: 0 }))).toMatchObject({
      ok: false,
      error: 'args.seconds must be an integer 1–60',
    });
    await send(cmd('mute'));
    expect(await send(cmd('test-tone', { seconds: 1, force: true }))).toMatchObject({
      ok: false,
      error: 'the unit is muted; unmute it first',
    });
    await send(cmd('unmute'));
  }, 10_000);

  it('plays a cached media now, and refuses one that is not in the cache', async () => {
    // An item far ahead makes the agent fetch the media; play-now then airs it at once.
    const later = Date.now() + 3600_000 - 60_000;
    await server.publishPlan(UNIT, keys.sign(plan(UNIT, ++version, [item('later', sine.ref, later)], { warmupMs: 0 })));
    await waitFor('the plan', () => agent.controller.parts.plans.version === version);
    await waitFor('cached', () => agent.controller.parts.store.has(sine.ref.sha256), 5000);
    const now = cmd('play-now', { sha256: sine.ref.sha256 });
    expect(await send(now)).toEqual({ id: now.id, ok: true });
    const started = await waitFor('started', () =>
      server.events.find((e) => e.itemId === `cmd:${now.id}` && e.type === 'started'),
    );
    expect(started.sha256).toBe(sine.ref.sha256);
    expect(await send(cmd('stop'))).toMatchObject({ ok: true });
    await waitFor('preempted', () => server.events.find((e) => e.itemId === `cmd:${now.id}` && e.type === 'preempted'));
    expect(await send(cmd('play-now', { sha256: 'ab'.repeat(32) }))).toMatchObject({
      ok: false,
      error: "media abababababab is not in this unit's cache",
    });
    expect(await send(cmd('play-now', { sha256: 'nope' }))).toMatchObject({
      ok: false,
      error: 'args.sha256 must be a SHA-256 in hex',
    });
  }, 10_000);

  it('reboots through the configured command once, even when the server repeats the command', async () => {
    const reboot = cmd('reboot');
    expect(await send(reboot)).toEqual({ id: reboot.id, ok: true });
    await server.publish(topics.cmd(UNIT), keys.sign(reboot));
    await waitFor('the re-ack', () => server.acks.filter((a) => a.id === reboot.id).length === 2);
    expect(await readFile(join(dir, 'reboots'), 'utf8')).toBe('rebooted\n');
    // Persisted before the command ran: after the reboot it is still "already seen".
    const seen = JSON.parse(await readFile(join(agent.dataDir, 'commands.json'), 'utf8')) as { id: string }[];
    expect(seen.map((s) => s.id)).toContain(reboot.id);
  });

  it('reports a reboot command that fails, with its error', async () => {
    await writeFile(join(dir, 'reboot.sh'), 'echo "sudo: a password is required" >&2; exit 1\n');
    expect(await send(cmd('reboot'))).toMatchObject({
      ok: false,
      error: 'reboot command failed (1): sudo: a password is required',
    });
  });
});
