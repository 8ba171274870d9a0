// The commune the fleet benchmark runs in, set up through the API as people would: an editor and
// an approver, two uploaded bulletins (speech-like MP3s, normalized by the server's ingest), the
// first approved for the whole commune before the units connect. The second is approved during
// the soak, a plan change touching every unit that also sends every unit a new media to fetch; the
// next changes move the evening window's end by five minutes and back.
import { randomBytes } from 'node:crypto';
import { formatClock } from '@loa/shared';
import { ApiClient } from '../../../server/src/testing/api-client.js';
import { bulletinMp3 } from './bulletin-audio.js';

interface WindowSpec {
  id: string;
  start: string;
  end: string;
}

export interface FleetCommune {
  /** Media of the first bulletin, held by every unit before the soak. */
  firstMedia: string;
  /** Media of the second bulletin, which no unit holds before it is approved, and its size. */
  secondMedia: string;
  secondMediaBytes: number;
  /** Moves the last window's end five minutes earlier, or back: every unit's plan changes. */
  moveWindow(): Promise<void>;
  /** Approves the second bulletin, for the whole commune. */
  approveSecond(): Promise<void>;
}

function ok<T>(what: string, res: { status: number; body: T }, status = 200): T {
  if (res.status !== status) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A new account of `role`, signed in, with its own password (people change the one an admin set). */
async function person(admin: ApiClient, role: 'editor' | 'approver'): Promise<ApiClient> {
  const username = `${role}-${randomBytes(3).toString('hex')}`;
  const first = `Bench-${randomBytes(12).toString('base64url')}`;
  ok(
    `creating the ${role}`,
    await admin.post('/api/users', { username, role, password: first, communeIds: null }),
    201,
  );
  const api = new ApiClient(admin.base);
  await api.login(username, first);
  const own = { currentPassword: first, newPassword: `Own-${randomBytes(12).toString('base64url')}` };
  ok(`the ${role}'s own password`, await api.post('/api/auth/password', own), 204);
  return api;
}

/** `audio`: the two bulletins' recordings (by default speech-like MP3s of one and two minutes). */
export async function setUpCommune(
  admin: ApiClient,
  audio: [string, string] = [bulletinMp3(1), bulletinMp3(2)],
): Promise<FleetCommune> {
  const editor = await person(admin, 'editor');
  const approver = await person(admin, 'approver');
  // Quiet hours would refuse nothing here, but a bench may run at night: keep the rules simple.
  ok('quiet hours', await admin.request('PATCH', '/api/communes/default', { quietHours: null }));
  const commune = ok('the commune', await admin.get<{ windows: WindowSpec[] }>('/api/communes/default'));
  const [first, second] = await Promise.all(
    audio.map(async (file) => ok('upload', await admin.upload<{ sha256: string; bytes: number }>(file), 201)),
  );
  const now = Date.now();
  const bulletin = async (title: string, sha256: string) => {
    const b = ok(
      'a bulletin',
      await editor.post<{ id: string }>('/api/bulletins', {
        title,
        level: 'ordinary',
        mediaSha256: sha256,
        targets: { commune: true },
        validFrom: new Date(now - 60_000).toISOString(),
        validUntil: new Date(now + 3 * 86400_000).toISOString(),
        recurrence: { days: [0, 1, 2, 3, 4, 5, 6] },
      }),
      201,
    );
    ok('submitting', await editor.post(`/api/bulletins/${b.id}/submit`));
    return b.id;
  };
  ok('approving', await approver.post(`/api/bulletins/${await bulletin('Bản tin sáng', first!.sha256)}/approve`));
  const secondId = await bulletin('Thông báo tiêm phòng', second!.sha256);

  const windows = commune.windows;
  const last = windows[windows.length - 1]!;
  const [h, m] = last.end.split(':').map(Number) as [number, number];
  const earlier = formatClock(h * 3600 + m * 60 - 300);
  let moved = false;
  return {
    firstMedia: first!.sha256,
    secondMedia: second!.sha256,
    secondMediaBytes: second!.bytes,
    async moveWindow() {
      moved = !moved;
      const next = moved ? [...windows.slice(0, -1), { ...last, end: earlier }] : windows;
      ok('moving a window', await admin.put('/api/communes/default/windows', { windows: next }));
    },
    async approveSecond() {
      ok('approving', await approver.post(`/api/bulletins/${secondId}/approve`));
    },
  };
}
