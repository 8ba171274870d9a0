import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type CommandBody } from '@loa/shared';
import { startBroker, type TestBroker } from '../testing/broker.js';
import { makeKeys, type TestKeys } from '../testing/keys.js';
import { makeSine, type TestMedia } from '../testing/audio.js';
import { FakeServer, waitFor } from '../testing/fake-server.js';
import { startAgent, type TestAgent } from '../testing/agent.js';
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
  agent = await startAgent({ url: broker.url, unit: UNIT, secret: SECRET, pemPath: keys.pemPath });
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
    await send(cmd('unmute'));
    expect(agent.controller.parts.state.muted).toBe(false);
  });

  it('answers not supported yet to the commands of later issues', async () => {
    expect(await send(cmd('reboot'))).toMatchObject({ ok: false, error: 'not supported yet' });
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
    await server.publishPlan(UNIT, keys.sign(plan(UNIT, 1, [item('talk', sine.ref, startAt)])));
    await waitFor('started', () => server.events.find((e) => e.type === 'started'), 5000);
    expect(await send(cmd('stop'))).toMatchObject({ ok: true });
    const pre = await waitFor('preempted', () => server.events.find((e) => e.type === 'preempted'));
    expect(pre).toMatchObject({ itemId: 'talk', reason: 'stopped by command' });
  }, 10_000);

  it('resync publishes the status again', async () => {
    const before = server.statuses.length;
    await send(cmd('resync'));
    const s = await waitFor('status', () => server.statuses.length > before && server.statuses.at(-1));
    expect(s).toMatchObject({ online: true, scheduleVersion: 1, agentVersion: '0.1.0' });
  });
});
