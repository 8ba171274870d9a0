// `npm run demo`: the server and twelve simulated clusters (real agent processes with null sinks)
// for a commune shaped like the Tú Lệ pilot, with a short demo window opening a minute after launch,
// so a newcomer sees a day's plan built, published and played, whatever the hour (past midnight too).
// For tests and quick looks: DEMO_UNITS=n clusters only, DEMO_BULLETINS=n bulletins only (the
// first is an emergency for the whole commune), DEMO_LEAD_SECONDS until the demo window opens
// (default 60), DEMO_SECONDS to stop by itself.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_WINDOWS, formatClock, toZoned, weekdayOf } from '@loa/shared';
import { buildApp } from '../../server/src/app.js';
import { loadConfig } from '../../server/src/config.js';
import { ApiClient } from '../../server/src/testing/api-client.js';
import { randomPassword } from '../../server/src/auth/passwords.js';
import type {} from '../../server/src/auth/auth.plugin.js';
import type {} from '../../server/src/broker/broker.plugin.js';
import { COMMUNE, VILLAGES, shrink } from './commune.js';
import { demoWindows } from './windows.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TZ = 'Asia/Ho_Chi_Minh';

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number of at least 0, not ${raw}`);
  return n;
}

function speak(dir: string, name: string, text: string): string {
  const out = join(dir, `${name}.wav`);
  try {
    execFileSync('espeak-ng', ['-v', 'vi', '-s', '150', '-w', out, text]);
  } catch {
    // Without espeak-ng the demo still runs, with tones standing for the speech.
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=523:duration=6', out]);
  }
  return out;
}

async function main() {
  const dataDir = process.env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'loa-demo-'));
  const config = loadConfig({ ...process.env, DATA_DIR: dataDir, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const app = await buildApp(config);
  await app.listen({ port: config.port, host: config.host });
  const port = (app.server.address() as { port: number }).port;
  const api = new ApiClient(`http://127.0.0.1:${port}`);
  const password = app.firstAdmin?.password ?? process.env.LOA_ADMIN_PASSWORD;
  if (!password)
    throw new Error(`DATA_DIR ${dataDir} already has users; set LOA_ADMIN_PASSWORD or use a fresh DATA_DIR`);
  await api.login('admin', password);
  // Issue #4: the radio operator (biên tập) writes and submits, the leader (lãnh đạo) approves;
  // nobody approves their own bulletin. Two demo accounts play those parts.
  const people = { editor: 'bien-tap', approver: 'lanh-dao' } as const;
  const logins = new Map<string, { client: ApiClient; password: string }>();
  for (const [role, username] of Object.entries(people)) {
    const res = await api.post<{ password: string }>('/api/users', { username, role });
    if (res.status !== 201) throw new Error(`demo account ${username}: ${JSON.stringify(res.body)}`);
    const client = new ApiClient(`http://127.0.0.1:${port}`);
    await client.login(username, res.body.password);
    // A password the administrator chose must be changed before anything else (issue #4).
    const own = randomPassword();
    const changed = await client.post('/api/auth/password', { currentPassword: res.body.password, newPassword: own });
    if (changed.status !== 204) throw new Error(`demo account ${username}: ${JSON.stringify(changed.body)}`);
    logins.set(role, { client, password: own });
  }
  const editor = logins.get('editor')!.client;
  const approver = logins.get('approver')!.client;

  const shrunk = shrink(envNumber('DEMO_UNITS', Infinity));
  const { units, zones } = shrunk;
  const bulletins = shrunk.bulletins.slice(0, envNumber('DEMO_BULLETINS', Infinity));
  const lead = envNumber('DEMO_LEAD_SECONDS', 60);
  // The default windows first; the demo window is added once the clusters run and the audio is
  // ready, so it opens `lead` seconds after that, however long the preparation took.
  await api.post('/api/communes', { ...COMMUNE, timeZone: TZ, windows: DEFAULT_WINDOWS, quietHours: null });
  for (const v of VILLAGES) await api.post(`/api/communes/${COMMUNE.id}/villages`, v);
  const secrets = new Map<string, { secret: string; key: string }>();
  for (const u of units) {
    const res = await api.post<{ secret: string; serverPublicKey: string }>('/api/units', {
      ...u,
      communeId: COMMUNE.id,
    });
    secrets.set(u.id, { secret: res.body.secret, key: res.body.serverPublicKey });
  }
  for (const z of zones) await api.post('/api/zones', { ...z, communeId: COMMUNE.id });

  const agents: ChildProcess[] = [];
  const keyFile = join(dataDir, 'server-key.pem');
  writeFileSync(keyFile, secrets.values().next().value!.key);
  for (const u of units) {
    const agentDir = join(dataDir, 'agents', u.id);
    mkdirSync(agentDir, { recursive: true });
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'agent/src/main.ts'),
        '--server',
        `mqtt://127.0.0.1:${app.embeddedBroker!.port}`,
        '--unit',
        u.id,
        '--secret',
        secrets.get(u.id)!.secret,
        '--data-dir',
        agentDir,
        '--server-key',
        keyFile,
        '--sink',
        'null',
      ],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'ignore'] },
    );
    agents.push(child);
  }
  // From here on, Ctrl+C (or a test's SIGTERM) also stops the clusters, even during the setup.
  const timers: { poll?: NodeJS.Timeout } = {};
  const stop = async () => {
    clearInterval(timers.poll);
    for (const a of agents) a.kill('SIGTERM');
    await Promise.all(agents.map((a) => new Promise((r) => (a.exitCode !== null ? r(null) : a.once('exit', r)))));
    await app.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  const mediaDir = join(dataDir, 'demo-audio');
  mkdirSync(mediaDir, { recursive: true });
  const audio = [];
  for (const [i, b] of bulletins.entries())
    audio.push((await editor.upload<{ sha256: string }>(speak(mediaDir, `b${i}`, b.text))).body.sha256);

  const now = Date.now();
  const openAt = now + lead * 1000;
  const open = toZoned(openAt, TZ);
  // Seconds after the midnight of the day it opens; windows and pinned times belong to that day.
  const windows = demoWindows(open.seconds);
  const demo = windows.find((w) => w.id === 'demo')!;
  const put = await api.put<{ message?: string }>(`/api/communes/${COMMUNE.id}/windows`, { windows });
  if (put.status !== 200) throw new Error(`demo windows: ${put.body.message}`);
  for (const [i, b] of bulletins.entries()) {
    const recurrence =
      b.pinnedAfter !== undefined
        ? {
            days: [weekdayOf(open.date)],
            pinnedTimes: [formatClock(Math.ceil(open.seconds) + b.pinnedAfter)],
          }
        : { days: [0, 1, 2, 3, 4, 5, 6], windowIds: b.windowIds?.filter((id) => windows.some((w) => w.id === id)) };
    // An emergency needs the emergency permission to write: the administrator's, not the editor's.
    const author = b.level === 'emergency' ? api : editor;
    const created = await author.post<{ id: string; message?: string }>('/api/bulletins', {
      communeId: COMMUNE.id,
      title: b.title,
      text: b.text,
      level: b.level,
      mediaSha256: audio[i],
      targets: b.targets,
      recurrence,
      validFrom: new Date(now - 60_000).toISOString(),
      validUntil: new Date(now + 7 * 86400_000).toISOString(),
    });
    if (created.status !== 201) throw new Error(`bulletin ${b.title}: ${created.body.message}`);
    await author.post(`/api/bulletins/${created.body.id}/submit`);
    const approved = await approver.post<{ message?: string }>(`/api/bulletins/${created.body.id}/approve`);
    if (approved.status !== 200) throw new Error(`approving ${b.title}: ${approved.body.message}`);
  }
  // What the planner made of it: the items of the demo window's day over the clusters.
  const timeline = await api.get<{ plans: Array<{ unitIds: string[]; items: unknown[] }> }>(
    `/api/communes/${COMMUNE.id}/timeline?date=${open.date}`,
  );
  const planned = timeline.body.plans.reduce((n, p) => n + p.unitIds.length * p.items.length, 0);
  const clusters = timeline.body.plans.reduce((n, p) => n + p.unitIds.length, 0);

  const lines = [
    '',
    `Loa demo — ${COMMUNE.name}: ${VILLAGES.length} villages, ${units.length} loudspeaker clusters`,
    `  web:     http://localhost:${port}/   (admin / ${password})`,
    `           editor ${people.editor} / ${logins.get('editor')!.password}, approver ${people.approver} / ${logins.get('approver')!.password}`,
    `  windows: ${windows.map((w) => `${w.id} ${w.start}–${w.end}`).join(', ')} (${TZ})`,
    `  data:    ${dataDir}`,
    `  plan:    ${planned} items on ${open.date} over ${clusters} clusters, ${bulletins.length} bulletins`,
    `The demo window (${demo.start}–${demo.end}) holds the first bulletin at ${formatClock(open.seconds + 5)}; what the clusters play appears below. Ctrl+C stops everything.`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');

  const seen = new Set<string>();
  const titles = new Map<string, string>();
  timers.poll = setInterval(async () => {
    try {
      if (titles.size === 0) {
        const list = await api.get<{ bulletins: Array<{ id: string; title: string }> }>('/api/bulletins');
        for (const b of list.body.bulletins) titles.set(b.id, b.title);
      }
      for (const u of units) {
        const log = await api.get<{
          entries: Array<{
            itemId: string;
            bulletinId: string;
            outcome: string;
            startedAt: number | null;
            endedAt: number | null;
            scheduledAt: number | null;
            reason: string | null;
          }>;
        }>(`/api/units/${u.id}/play-log`);
        for (const e of log.body.entries) {
          const key = `${u.id}|${e.itemId}|${e.outcome}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const at = formatClock(
            toZoned((e.outcome === 'playing' ? e.startedAt : e.endedAt) ?? e.scheduledAt ?? Date.now(), TZ).seconds,
          );
          const what = titles.get(e.bulletinId) ?? e.bulletinId;
          process.stdout.write(
            `${at}  ${u.name.padEnd(24)} ${e.outcome.padEnd(9)} ${what}${e.reason ? ` (${e.reason})` : ''}\n`,
          );
        }
      }
    } catch {
      // the server is shutting down
    }
  }, 2000);

  if (process.env.DEMO_SECONDS) setTimeout(() => void stop(), Number(process.env.DEMO_SECONDS) * 1000);
}

await main();
