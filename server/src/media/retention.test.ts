// Collection of unreferenced media after the retention period (issue #6), through the real app.
import { existsSync, mkdtempSync, openAsBlob, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../testing/start-server.js';
import type { MediaView } from './media.repo.js';
import { sha256File } from './normalize.js';
import { lavfi } from './testing/fixtures.js';

const DAY = 86_400_000;

describe('the media retention sweep', () => {
  let server: TestServer;
  const work = mkdtempSync(join(tmpdir(), 'loa-retention-'));
  const ogg = (sha: string) => join(server.dataDir, 'media', `${sha}.ogg`);
  const original = (sha: string) => join(server.dataDir, 'media', 'originals', sha);

  async function upload(file: string, content: 'speech' | 'music' = 'speech') {
    const form = new FormData();
    form.append('file', await openAsBlob(file), 'x.mp3');
    const res = await server.admin.request<MediaView>('POST', `/api/media?content=${content}`, form);
    expect(res.status).toBe(201);
    return res.body;
  }

  async function useInBulletin(sha: string) {
    const res = await server.admin.post('/api/bulletins', {
      title: 'Thông báo',
      level: 'ordinary',
      mediaSha256: sha,
      targets: { unitIds: ['thon-mot'] },
      recurrence: { days: [0, 1, 2, 3, 4, 5, 6], pinnedTimes: ['05:30'] },
      validFrom: new Date().toISOString(),
      validUntil: new Date(Date.now() + 7 * DAY).toISOString(),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }

  beforeAll(async () => {
    server = await startServer({ MEDIA_RETENTION_DAYS: '30' });
    await server.admin.post('/api/units', { id: 'thon-mot', name: 'Thôn Một' });
  });
  afterAll(async () => server?.close());

  it('deletes media nobody uses after 30 days, with its original, and keeps what a bulletin names', async () => {
    const unusedFile = lavfi(work, 'a.mp3', 'sine=frequency=300:duration=2');
    const unused = await upload(unusedFile);
    const used = await upload(lavfi(work, 'b.mp3', 'sine=frequency=350:duration=2'));
    await useInBulletin(used.sha256);

    expect((await server.app.services.media.sweep(Date.now())).deleted).toEqual([]);
    expect((await server.app.services.media.sweep(Date.now() + 29 * DAY)).deleted).toEqual([]);

    const later = await server.app.services.media.sweep(Date.now() + 31 * DAY);
    expect(later.deleted).toEqual([unused.sha256]);
    expect((await server.admin.get(`/api/media/${unused.sha256}`)).status).toBe(404);
    expect(existsSync(ogg(unused.sha256))).toBe(false);
    expect(existsSync(original(await sha256File(unusedFile)))).toBe(false);

    expect((await server.admin.get(`/api/media/${used.sha256}`)).status).toBe(200);
    expect(existsSync(ogg(used.sha256))).toBe(true);
    // In use then: its 30 days count from that sweep, and it is still in use at the next one.
    expect((await server.app.services.media.sweep(Date.now() + 70 * DAY)).deleted).not.toContain(used.sha256);
  });

  it('keeps an original another media still comes from', async () => {
    const file = lavfi(work, 'c.mp3', 'sine=frequency=420:duration=2');
    const speech = await upload(file, 'speech');
    const music = await upload(file, 'music');
    expect(music.sha256).not.toBe(speech.sha256);
    await useInBulletin(music.sha256);
    const res = await server.app.services.media.sweep(Date.now() + 31 * DAY);
    expect(res.deleted).toContain(speech.sha256);
    expect(existsSync(original(await sha256File(file)))).toBe(true);
  });

  it('keeps the audio of emergency broadcasts, and counts sending one as a use', async () => {
    const warning = await upload(lavfi(work, 'd.mp3', 'sine=frequency=500:duration=2'));
    // Uploaded long ago: as old as the retention, in no bulletin.
    const lastUsed = server.app.db.prepare('SELECT last_used_at FROM media WHERE sha256 = ?').pluck();
    server.app.db
      .prepare('UPDATE media SET created_at = ?, last_used_at = NULL WHERE sha256 = ?')
      .run(Date.now() - 40 * DAY, warning.sha256);
    const res = await server.admin.post<{ id: string }>('/api/emergency', {
      communeId: 'default',
      content: { sha256: warning.sha256 },
      targets: { unitIds: ['thon-mot'] },
      repeat: 1,
      volume: 100,
      validSeconds: 60,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(Math.abs((lastUsed.get(warning.sha256) as number) - Date.now())).toBeLessThan(5000);
    // While units may still fetch it, and long after it is over: the record keeps its audio.
    for (const days of [0, 31, 400]) {
      expect((await server.app.services.media.sweep(Date.now() + days * DAY)).deleted).not.toContain(warning.sha256);
      expect(server.app.services.media.sizeOf(warning.sha256)).toBe(warning.bytes);
      expect(existsSync(ogg(warning.sha256))).toBe(true);
    }
    expect((await server.admin.get(`/api/emergency/${res.body.id}`)).status).toBe(200);
  });

  it('clears leftovers of interrupted work after a day, and nothing newer', async () => {
    const media = join(server.dataDir, 'media');
    const old = join(media, 'tmp', 'deadbeef.0.ogg');
    const stray = join(media, 'uploads', 'a1b2c3');
    const fresh = join(media, 'uploads', 'd4e5f6');
    for (const f of [old, stray, fresh]) writeFileSync(f, 'x');
    const twoDaysAgo = (Date.now() - 2 * DAY) / 1000;
    utimesSync(old, twoDaysAgo, twoDaysAgo);
    utimesSync(stray, twoDaysAgo, twoDaysAgo);
    const res = await server.app.services.media.sweep(Date.now());
    expect(res.strayFiles).toBe(2);
    expect([existsSync(old), existsSync(stray), existsSync(fresh)]).toEqual([false, false, true]);
  });
});
