// A real server serving the built web app, with one account per role (first password already
// changed, as after a first sign-in) and a broadcast window around now, whatever the hour the
// tests run at.
import { formatClock, toZoned } from '@loa/shared';
import { startServer, type TestServer } from '../../support/server.js';
import { buildWeb } from './web-build.js';
import type {} from '../../../server/src/auth/auth.plugin.js';
import type {} from '../../../server/src/services.plugin.js';

export const TZ = 'Asia/Ho_Chi_Minh';
export type RoleName = 'editor' | 'approver' | 'technician' | 'viewer';

export interface World {
  server: TestServer;
  /** User name → password, for signing in through the page. */
  accounts: Record<RoleName | 'admin', { username: string; password: string }>;
  close(): Promise<void>;
}

export async function startWorld(opts: { roles?: RoleName[] } = {}): Promise<World> {
  const webDir = await buildWeb();
  const server = await startServer({ WEB_DIR: webDir });
  const accounts = {
    admin: { username: server.app.firstAdmin!.username, password: server.app.firstAdmin!.password },
  } as World['accounts'];
  for (const role of opts.roles ?? ['editor', 'approver', 'technician', 'viewer']) {
    const user = await server.userClient(role, { username: `${role}-test` });
    const password = `${role}: một câu dễ nhớ ${Math.random().toString(36).slice(2, 8)}`;
    const res = await user.post('/api/auth/password', { currentPassword: user.password, newPassword: password });
    if (res.status !== 204) throw new Error(`cannot set the password of ${role}: ${JSON.stringify(res.body)}`);
    accounts[role] = { username: user.username, password };
  }
  return {
    server,
    accounts,
    async close() {
      await server.close();
    },
  };
}

/** Opens the default commune's windows around now (and lifts quiet hours, which would refuse them at night). */
export async function windowAroundNow(server: TestServer, minutesBefore = 5, minutesAfter = 60) {
  const local = toZoned(Date.now(), TZ);
  const start = formatClock(Math.floor(local.seconds / 60) * 60 - minutesBefore * 60);
  const end = formatClock(Math.floor(local.seconds / 60) * 60 + minutesAfter * 60);
  let res = await server.admin.patch('/api/communes/default', { quietHours: null });
  if (res.status !== 200) throw new Error(`quiet hours: ${JSON.stringify(res.body)}`);
  res = await server.admin.put('/api/communes/default/windows', { windows: [{ id: 'test', start, end }] });
  if (res.status !== 200) throw new Error(`windows: ${JSON.stringify(res.body)}`);
  return { start, end };
}

/** A local clock time `minutes` from now in the commune, as HH:MM:SS for a time input. */
export function clockIn(minutes: number): string {
  const s = Math.floor(toZoned(Date.now(), TZ).seconds) + minutes * 60;
  const c = formatClock(s);
  return c.length === 5 ? `${c}:00` : c;
}
