// Helpers of the agent's end-to-end tests (issue 7): a window and pinned bulletins set up through
// the API as the editor and the approver would, a Mosquitto that can be stopped and started again
// on the same port (a broker outage), and what the server stored of a unit's events.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { formatClock, toZoned, weekdayOf, type PlanBody } from '@loa/shared';
import type { TestServer } from './server.js';
import type { Mosquitto } from './mosquitto.js';
import { waitFor } from './wait.js';
// `server.app.db`: what the server stored, read directly.
import type {} from '../../server/src/db/db.plugin.js';

export const TZ = 'Asia/Ho_Chi_Minh';

/** Seconds since local midnight, now, in the commune's time zone. */
export function localSeconds(at = Date.now()): { seconds: number; date: string } {
  const z = toZoned(at, TZ);
  return { seconds: Math.ceil(z.seconds), date: z.date };
}

/**
 * Opens a window [startS, startS + 10 min) today (local seconds) and pins one approved bulletin
 * per item; resolves with the unit's plan once it holds them all.
 */
export async function scheduleBulletins(
  server: TestServer,
  unitId: string,
  windowStartS: number,
  items: { title: string; sha256: string; atS: number }[],
): Promise<PlanBody> {
  const { admin } = server;
  const editor = await server.userClient('editor');
  const approver = await server.userClient('approver');
  const { date } = localSeconds();
  // Quiet hours would (rightly) refuse a window at night; these tests may run at any hour.
  expect((await admin.request('PATCH', '/api/communes/default', { quietHours: null })).status).toBe(200);
  const windows = [{ id: 'test', start: formatClock(windowStartS), end: formatClock(windowStartS + 600) }];
  expect((await admin.put('/api/communes/default/windows', { windows })).status).toBe(200);
  const now = Date.now();
  for (const item of items) {
    const b = await editor.post<{ id: string }>('/api/bulletins', {
      title: item.title,
      level: 'ordinary',
      mediaSha256: item.sha256,
      targets: { unitIds: [unitId] },
      validFrom: new Date(now - 60_000).toISOString(),
      validUntil: new Date(now + 3600_000).toISOString(),
      recurrence: { days: [weekdayOf(date)], pinnedTimes: [formatClock(item.atS)] },
    });
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    expect((await editor.post(`/api/bulletins/${b.body.id}/submit`)).status).toBe(200);
    expect((await approver.post(`/api/bulletins/${b.body.id}/approve`)).status).toBe(200);
  }
  return waitFor(`a plan with ${items.length} items`, async () => {
    const res = await admin.get<PlanBody>(`/api/units/${unitId}/plan`);
    return res.status === 200 && res.body.items.length === items.length ? res.body : undefined;
  });
}

/** Waits until the agent holds a plan version and every media of it in its cache. */
export async function agentReady(dataDir: string, plan: PlanBody, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `plan v${plan.version} and its media on the board`,
    () => {
      const held = existsSync(join(dataDir, 'plan.json'))
        ? (JSON.parse(JSON.parse(readFileSync(join(dataDir, 'plan.json'), 'utf8')).body as string) as PlanBody)
        : undefined;
      if (held?.version !== plan.version) return undefined;
      return plan.items.every((i) => existsSync(join(dataDir, 'cache', i.media.sha256))) ? true : undefined;
    },
    timeoutMs,
    100,
  );
}

export interface StoredEvent {
  seq: number;
  type: string;
  itemId: string | null;
  at: number;
}

/** The unit's events as the server stored them, in order. */
export function storedEvents(server: TestServer, unitId: string): StoredEvent[] {
  return server.app.db
    .prepare('SELECT seq, type, item_id AS itemId, at FROM unit_events WHERE unit_id = ? ORDER BY seq')
    .all(unitId) as StoredEvent[];
}

/** Every number from 1 to the last, once each, and no (item, type) twice: nothing lost, nothing doubled. */
export function expectExactlyOnce(events: StoredEvent[]): void {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  const keys = events.filter((e) => e.itemId).map((e) => `${e.itemId} ${e.type}`);
  expect(new Set(keys).size).toBe(keys.length);
}

export interface PlayLogRow {
  itemId: string;
  outcome: string;
  startedAt: number | null;
  scheduledAt: number | null;
  durationMs: number | null;
  reason: string | null;
}

export async function playLog(server: TestServer, unitId: string): Promise<PlayLogRow[]> {
  return (await server.admin.get<{ entries: PlayLogRow[] }>(`/api/units/${unitId}/play-log`)).body.entries;
}

/** The relay switches the agent's file relay recorded. */
export function relaySwitches(file: string): { on: boolean; at: number }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { on: boolean; at: number });
}

/**
 * Stops a test Mosquitto (as a crash or a reboot of the broker would) and starts it again later on
 * the same port with the same configuration; the server's reload pid file follows the new process.
 */
export function outage(m: Mosquitto) {
  const runDir = dirname(m.pidFile);
  let current: ChildProcess = m.child;
  const exited = (c: ChildProcess) =>
    c.exitCode !== null || c.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((r) => c.once('exit', () => r()));
  return {
    async stop(): Promise<void> {
      current.kill('SIGTERM');
      await exited(current);
    },
    async start(): Promise<void> {
      let out = '';
      const child = spawn('mosquitto', ['-c', join(runDir, 'test.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      current = child;
      await waitFor(
        'Mosquitto running again',
        () => {
          if (child.exitCode !== null) throw new Error(`mosquitto exited: ${out}`);
          return /mosquitto version [\d.]+ running/.test(out) ? true : undefined;
        },
        10_000,
        50,
      );
      writeFileSync(m.pidFile, String(child.pid));
    },
    /** Stops whichever Mosquitto runs now (the original one is stopped by its own `stop`). */
    async close(): Promise<void> {
      if (current !== m.child) {
        current.kill('SIGTERM');
        await exited(current);
      }
    },
  };
}
