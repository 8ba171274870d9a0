// Issue 7 (rule 6): a unit that loses its link before and during a window plays its whole plan
// from its cache, on time, with the amplifier switched around the window; its events wait on its
// disk and reach the server after the link is back, each exactly once. The link is cut by stopping
// the broker itself: a real Mosquitto (the server in MQTT_URL mode), stopped and started again.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanBody } from '@loa/shared';
import { makeTone } from './support/audio.js';
import { startAgent, type AgentProcess } from './support/agent.js';
import { startServerWithMosquitto, type MosquittoServer } from './support/mosquitto.js';
import {
  agentReady,
  expectExactlyOnce,
  localSeconds,
  outage,
  playLog,
  relaySwitches,
  scheduleBulletins,
  storedEvents,
} from './support/agent-e2e.js';
import { waitFor } from './support/wait.js';

const UNIT = 'thon-mat-song';

describe('a unit whose broker goes away before and during a window', () => {
  let env: MosquittoServer;
  let agent: AgentProcess;
  let broker: ReturnType<typeof outage>;
  const work = mkdtempSync(join(tmpdir(), 'loa-offline-'));
  const relayFile = join(work, 'relay.jsonl');

  beforeAll(async () => {
    env = await startServerWithMosquitto();
    broker = outage(env.mosquitto);
  }, 60_000);
  afterAll(async () => {
    await agent?.kill('SIGKILL');
    await broker?.close();
    await env?.stop();
  });

  it('plays every item on time from its cache, then delivers the play log exactly once', async () => {
    const { server } = env;
    const created = await server.admin.post<{ secret: string; serverPublicKey: string }>('/api/units', {
      id: UNIT,
      name: 'Thôn Mất Sóng',
    });
    expect(created.status).toBe(201);
    const editor = await server.userClient('editor');
    const tone = await editor.upload<{ sha256: string; durationMs: number }>(makeTone(work, 4, 'tone.mp3', 523));
    expect(tone.status).toBe(201);

    agent = startAgent({
      mqttUrl: env.mosquitto.url,
      unit: UNIT,
      secret: created.body.secret,
      serverKeyPem: created.body.serverPublicKey,
      args: ['--relay', `file:${relayFile}`],
    });
    await waitFor('the unit online', async () =>
      (await server.admin.get<{ online: boolean }>(`/api/units/${UNIT}`)).body.online ? true : undefined,
    );

    // A window opening in 50 s, four 4-second items 7 s apart inside it.
    const w = localSeconds().seconds + 50;
    const plan: PlanBody = await scheduleBulletins(
      server,
      UNIT,
      w,
      [5, 12, 19, 26].map((d, i) => ({ title: `Bản tin ${i + 1}`, sha256: tone.body.sha256, atS: w + d })),
    );
    await agentReady(agent.dataDir, plan);
    const items = [...plan.items].sort((a, b) => a.startAt - b.startAt);
    const [a, b, c, d] = items as [(typeof items)[0], (typeof items)[0], (typeof items)[0], (typeof items)[0]];
    const windowStart = a.startAt - 5000;
    const sleepUntil = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));

    // Outage 1: from before the window into it (after the first item).
    await sleepUntil(windowStart - 8000);
    await broker.stop();
    await sleepUntil(b.startAt - 2500);
    // The first item has sounded; the server cannot know yet.
    expect(readFileSync(join(agent.sinkDir, 'sink.jsonl'), 'utf8')).toContain(a.id);
    expect(storedEvents(server, UNIT).some((e) => e.itemId === a.id)).toBe(false);
    await broker.start();
    // Outage 2: in the middle of the third item, until after the last.
    await sleepUntil(c.startAt + 1500);
    await broker.stop();
    await sleepUntil(d.startAt + d.media.durationMs + 3000);
    expect(storedEvents(server, UNIT).some((e) => e.itemId === d.id)).toBe(false);
    await broker.start();

    // Everything aired, on time, while the server could not see it.
    const sink = readFileSync(join(agent.sinkDir, 'sink.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { itemId: string; startedAt: number; samples: number });
    for (const item of items) {
      const rec = sink.find((r) => r.itemId === item.id);
      expect(rec, item.id).toBeDefined();
      expect(Math.abs(rec!.startedAt - item.startAt), `start error of ${item.id}`).toBeLessThan(100);
      expect(Math.abs(rec!.samples / 48 - item.media.durationMs)).toBeLessThan(60);
    }
    // Amplifier (rule 5): on 3 s before the first item, held through the short gaps, off after the last.
    const relay = relaySwitches(relayFile);
    expect(relay[0]).toMatchObject({ on: false }); // set off at start
    const switches = relay.slice(1);
    expect(switches.map((s) => s.on)).toEqual([true, false]);
    expect(Math.abs(switches[0]!.at - (a.startAt - 3000))).toBeLessThan(100);
    expect(switches[1]!.at - (d.startAt + d.media.durationMs)).toBeGreaterThanOrEqual(-20);
    expect(switches[1]!.at - (d.startAt + d.media.durationMs)).toBeLessThan(500);

    // After the link is back: the whole play log, each event exactly once.
    const log = await waitFor(
      'four items finished in the play log',
      async () => {
        const rows = await playLog(server, UNIT);
        return rows.filter((r) => r.outcome === 'finished').length === 4 ? rows : undefined;
      },
      60_000,
      250,
    );
    expect(log.map((r) => r.itemId).sort()).toEqual(items.map((i) => i.id).sort());
    for (const row of log) {
      const item = items.find((i) => i.id === row.itemId)!;
      expect(Math.abs(row.startedAt! - item.startAt)).toBeLessThan(100);
    }
    const events = await waitFor(
      'the events acknowledged',
      () => {
        const queue = readFileSync(join(agent.dataDir, 'events.jsonl'), 'utf8').trim().split('\n');
        // Compacted to the marker alone once the server acknowledged everything.
        return queue.length === 1 && /"lastSeq"/.test(queue[0]!) ? storedEvents(server, UNIT) : undefined;
      },
      30_000,
    );
    expectExactlyOnce(events);
    const played = events.filter((e) => e.itemId);
    expect(played.map((e) => e.type)).toEqual(Array(4).fill(['started', 'finished']).flat());
    expect(agent.lines.some((l) => /connected to mqtt/.test(l))).toBe(true);
    expect(agent.child.exitCode).toBeNull();
  }, 240_000);
});
