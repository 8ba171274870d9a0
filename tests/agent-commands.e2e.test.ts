// Issue 7, health and commands end to end: the Commands API of the real server reaching a real agent
// process, each command acknowledged or expired; the server answering the agent's clock probes.
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from './support/agent.js';
import { startServer, type TestServer } from './support/server.js';
import { localSeconds, relaySwitches } from './support/agent-e2e.js';
import { formatClock } from '@loa/shared';
import { waitFor } from './support/wait.js';

const UNIT = 'thon-dieu-khien';

interface Command {
  id: string;
  state: string;
  error?: string;
  ackedAt?: number;
}

describe('commands from the API to a running agent', () => {
  let server: TestServer;
  let agent: AgentProcess | undefined;
  let unit: { secret: string; key: string };
  const work = mkdtempSync(join(tmpdir(), 'loa-cmd-e2e-'));
  const relayFile = join(work, 'relay.jsonl');
  const dataDir = join(work, 'data');
  mkdirSync(dataDir);

  const start = () =>
    startAgent({
      mqttUrl: server.mqttUrl,
      unit: UNIT,
      secret: unit.secret,
      serverKeyPem: unit.key,
      dataDir,
      args: [
        '--relay',
        `file:${relayFile}`,
        '--telemetry-interval',
        '1',
        '--warmup-ms',
        '500',
        '--reboot-command',
        `touch ${join(work, 'rebooted')}`,
      ],
    });
  const online = (want: boolean) =>
    waitFor(
      `the unit ${want ? 'online' : 'offline'}`,
      async () =>
        (await server.admin.get<{ online: boolean }>(`/api/units/${UNIT}`)).body.online === want ? true : undefined,
      // A busy machine takes a while to start an agent through tsx.
      40_000,
    );
  const send = async (body: unknown) => {
    const res = await server.admin.post<Command>(`/api/units/${UNIT}/commands`, body);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body;
  };
  const settled = (id: string, timeoutMs = 15_000) =>
    waitFor(
      `command ${id} settled`,
      async () => {
        const c = (await server.admin.get<Command>(`/api/units/${UNIT}/commands/${id}`)).body;
        return c.state === 'pending' ? undefined : c;
      },
      timeoutMs,
    );

  beforeAll(async () => {
    server = await startServer();
    const created = await server.admin.post<{ secret: string; serverPublicKey: string }>('/api/units', {
      id: UNIT,
      name: 'Thôn Điều Khiển',
    });
    unit = { secret: created.body.secret, key: created.body.serverPublicKey };
    // A window around now, so sounds asked by command obey rule 1 without being forced.
    const now = localSeconds().seconds;
    expect((await server.admin.request('PATCH', '/api/communes/default', { quietHours: null })).status).toBe(200);
    const windows = [{ id: 'test', start: formatClock(now - 120), end: formatClock(now + 1200) }];
    expect((await server.admin.put('/api/communes/default/windows', { windows })).status).toBe(200);
    agent = start();
    // Seen once in ~10 runs: the agent not online after 40 s. Its own words, for the next time.
    await online(true).catch((err: Error) => {
      console.error(`the agent said:\n${agent!.lines.join('\n')}`);
      throw err;
    });
  });
  afterAll(async () => {
    await agent?.kill('SIGKILL');
    await server?.close();
  });

  it('plays a test tone through the amplifier and acknowledges it', async () => {
    await waitFor('the plan on the board', async () =>
      (await server.admin.get<{ reportedPlanVersion: number | null }>(`/api/units/${UNIT}`)).body.reportedPlanVersion
        ? true
        : undefined,
    );
    const cmd = await send({ type: 'test-tone', args: { seconds: 1 } });
    expect(await settled(cmd.id)).toMatchObject({ state: 'acked' });
    const rec = await waitFor('the tone in the sink', () => {
      const file = join(agent!.sinkDir, 'sink.jsonl');
      if (!existsSync(file)) return undefined;
      return readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { itemId: string; samples: number; startedAt: number })
        .find((r) => r.itemId === `cmd:${cmd.id}`);
    });
    expect(rec.samples).toBe(48_000);
    const relay = await waitFor('on, then off', () => {
      const s = relaySwitches(relayFile).slice(1);
      return s.length >= 2 ? s : undefined;
    });
    expect(relay.map((s) => s.on)).toEqual([true, false]);
    expect(rec.startedAt - relay[0]!.at).toBeGreaterThanOrEqual(490);
    await waitFor('the tone in the play log', async () => {
      const rows = (
        await server.admin.get<{ entries: { itemId: string; outcome: string }[] }>(`/api/units/${UNIT}/play-log`)
      ).body.entries;
      return rows.find((r) => r.itemId === `cmd:${cmd.id}` && r.outcome === 'finished');
    });
  }, 30_000);

  it('sets the volume, shows it in telemetry, and reports a clock offset measured against the server', async () => {
    const cmd = await send({ type: 'volume', args: { volume: 35 } });
    expect(await settled(cmd.id)).toMatchObject({ state: 'acked' });
    const t = await waitFor('telemetry with the new volume and a clock offset', async () => {
      const u = (await server.admin.get<{ telemetry: Record<string, unknown> | null }>(`/api/units/${UNIT}`)).body;
      return u.telemetry?.volume === 35 && typeof u.telemetry.clockOffsetMs === 'number' ? u.telemetry : undefined;
    });
    // Same machine, same clock: the probes must find (almost) nothing.
    expect(Math.abs(t.clockOffsetMs as number)).toBeLessThan(50);
    expect(t).toMatchObject({ amplifierOn: false, muted: false, diskLow: false, agentVersion: '0.1.0' });
    expect(t.memFreeBytes).toBeGreaterThan(0);
    const alerts = await server.admin.get<{ alerts: { kind: string }[] }>(`/api/alerts?unitId=${UNIT}`);
    expect(alerts.body.alerts.filter((a) => a.kind === 'clock-offset')).toEqual([]);
  }, 20_000);

  it('reboots through the configured command', async () => {
    const cmd = await send({ type: 'reboot' });
    expect(await settled(cmd.id)).toMatchObject({ state: 'acked' });
    expect(existsSync(join(work, 'rebooted'))).toBe(true);
  });

  it('delivers a command sent while the unit was off once it is back, and lets a short one expire', async () => {
    await agent!.kill('SIGTERM');
    await online(false);
    const later = await send({ type: 'mute', ttlSeconds: 120 });
    const brief = await send({ type: 'unmute', ttlSeconds: 5 });
    await new Promise((r) => setTimeout(r, 5500));
    agent = start();
    expect(await settled(later.id, 20_000)).toMatchObject({ state: 'acked' });
    expect(await settled(brief.id)).toMatchObject({ state: 'expired' });
    // The unit is muted: it kept the later command, never ran the expired one.
    const t = await waitFor('muted in telemetry', async () => {
      const u = (await server.admin.get<{ telemetry: Record<string, unknown> | null }>(`/api/units/${UNIT}`)).body;
      return u.telemetry?.muted === true ? u.telemetry : undefined;
    });
    expect(t.muted).toBe(true);
    expect(agent.lines.some((l) => l.includes(brief.id))).toBe(false);
  }, 90_000);
});
