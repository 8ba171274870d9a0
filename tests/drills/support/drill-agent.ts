// The real agent's side of a drill (issue #10): items pinned for it a few seconds from now, what
// its sink aired, and whether the server acknowledged every event it queued.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { PlanBody } from '@loa/shared';
import type { ApiClient } from '../../../server/src/testing/api-client.js';
import type { AgentProcess } from '../../support/agent.js';
import { agentReady, localSeconds, type StoredEvent } from '../../support/agent-e2e.js';
import { waitFor } from '../../support/wait.js';
import type { DrillCommune } from './drill-commune.js';

export type Item = PlanBody['items'][0];

/**
 * Once the agent is online, pins one bulletin per entry for its unit, `inS` seconds from now;
 * resolves with those items (soonest first) once the agent holds the plan and its media.
 */
export async function pinForAgent(
  admin: ApiClient,
  commune: DrillCommune,
  agent: AgentProcess,
  unitId: string,
  sha256: string,
  entries: Array<{ title: string; inS: number }>,
): Promise<Item[]> {
  await waitFor(
    `${unitId} online`,
    async () => ((await admin.get<{ online: boolean }>(`/api/units/${unitId}`)).body.online ? true : undefined),
    20_000,
  );
  const now = localSeconds().seconds;
  const ids = new Set(
    await commune.pin(entries.map((e) => ({ title: e.title, sha256, atS: now + e.inS, unitIds: [unitId] }))),
  );
  const plan = await waitFor(`the plan of ${unitId} with its new items`, async () => {
    const res = await admin.get<PlanBody>(`/api/units/${unitId}/plan`);
    return res.status === 200 && res.body.items.filter((i) => ids.has(i.bulletinId)).length === ids.size
      ? res.body
      : undefined;
  });
  // A drill that fails here is easier to read with what the agent said.
  await agentReady(agent.dataDir, plan, 20_000).catch((err: Error) => {
    throw new Error(`${err.message}\nthe agent's last lines:\n${agent.lines.slice(-30).join('\n')}`);
  });
  return plan.items.filter((i) => ids.has(i.bulletinId)).sort((a, b) => a.startAt - b.startAt);
}

/** What the agent's file sink aired so far. */
export function aired(agent: AgentProcess): Array<{ itemId: string; startedAt: number }> {
  const file = join(agent.sinkDir, 'sink.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { itemId: string; startedAt: number });
}

/** Resolves once the agent's queue is compacted to its marker: the server acknowledged all of it. */
export function agentAcknowledged(agent: AgentProcess, timeoutMs = 30_000): Promise<true> {
  return waitFor(
    'the agent’s events acknowledged',
    () => {
      const queue = readFileSync(join(agent.dataDir, 'events.jsonl'), 'utf8').trim().split('\n');
      return queue.length === 1 && /"lastSeq"/.test(queue[0]!) ? true : undefined;
    },
    timeoutMs,
  );
}

/** The unit's events as the server stored them, in order. */
export function storedEvents(db: Pick<Database, 'prepare'>, unitId: string): StoredEvent[] {
  return db
    .prepare('SELECT seq, type, item_id AS itemId, at FROM unit_events WHERE unit_id = ? ORDER BY seq')
    .all(unitId) as StoredEvent[];
}
