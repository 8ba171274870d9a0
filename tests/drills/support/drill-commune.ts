// What every failure drill sets up through the API, as people would (issue #10): units with their
// own secrets, a window open now, one pinned bulletin for the simulated units (far enough ahead
// that it is only their plan's content) and pinned bulletins for the real agents, approved by
// someone other than their editor. Works against an in-process server or a server process.
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { formatClock, weekdayOf } from '@loa/shared';
import { ApiClient } from '../../../server/src/testing/api-client.js';
import { localSeconds } from '../../support/agent-e2e.js';

export { createUnits, inParallel, type UnitLogin } from '../../../scripts/bench/lib/units.js';

/** A new account of `role`, signed in, with its own password (people change the one an admin set). */
export async function person(admin: ApiClient, role: 'editor' | 'approver'): Promise<ApiClient> {
  const username = `${role}-${randomBytes(3).toString('hex')}`;
  const first = `Drill-${randomBytes(12).toString('base64url')}`;
  const created = await admin.post('/api/users', { username, role, password: first, communeIds: null });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const api = new ApiClient(admin.base);
  await api.login(username, first);
  const own = { currentPassword: first, newPassword: `Own-${randomBytes(12).toString('base64url')}` };
  expect((await api.post('/api/auth/password', own)).status).toBe(204);
  return api;
}

export interface Pinned {
  title: string;
  sha256: string;
  /** Local seconds since midnight, in the window. */
  atS: number;
  unitIds: string[];
}

export interface DrillCommune {
  editor: ApiClient;
  approver: ApiClient;
  /** Start of today's window, local seconds: it opened a minute ago and lasts ten minutes. */
  windowStartS: number;
  /** Approves one pinned bulletin per entry; resolves with their ids. */
  pin(items: Pinned[]): Promise<string[]>;
}

/** Opens the window (no quiet hours: drills may run at any hour) and makes an editor and an approver. */
export async function setUpCommune(admin: ApiClient): Promise<DrillCommune> {
  const editor = await person(admin, 'editor');
  const approver = await person(admin, 'approver');
  expect((await admin.request('PATCH', '/api/communes/default', { quietHours: null })).status).toBe(200);
  const windowStartS = localSeconds().seconds - 60;
  const windows = [{ id: 'drill', start: formatClock(windowStartS), end: formatClock(windowStartS + 600) }];
  expect((await admin.put('/api/communes/default/windows', { windows })).status).toBe(200);
  return {
    editor,
    approver,
    windowStartS,
    async pin(items) {
      const now = Date.now();
      const { date } = localSeconds();
      const ids: string[] = [];
      for (const item of items) {
        const b = await editor.post<{ id: string }>('/api/bulletins', {
          title: item.title,
          level: 'ordinary',
          mediaSha256: item.sha256,
          targets: { unitIds: item.unitIds },
          validFrom: new Date(now - 60_000).toISOString(),
          validUntil: new Date(now + 3600_000).toISOString(),
          recurrence: { days: [weekdayOf(date)], pinnedTimes: [formatClock(item.atS)] },
        });
        expect(b.status, JSON.stringify(b.body)).toBe(201);
        expect((await editor.post(`/api/bulletins/${b.body.id}/submit`)).status).toBe(200);
        expect((await approver.post(`/api/bulletins/${b.body.id}/approve`)).status).toBe(200);
        ids.push(b.body.id);
      }
      return ids;
    },
  };
}

export interface UnitRow {
  id: string;
  online: boolean;
  reportedPlanVersion: number | null;
  publishedPlanVersion: number | null;
}

/** GET /api/units, as the dashboard reads it. */
export async function listUnits(admin: ApiClient): Promise<UnitRow[]> {
  const res = await admin.get<{ units: UnitRow[] }>('/api/units');
  expect(res.status).toBe(200);
  return res.body.units;
}
