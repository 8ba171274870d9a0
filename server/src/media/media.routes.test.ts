// Uploads through the real app: ffmpeg on real audio, and the bad files operators really send.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../testing/start-server.js';

describe('POST /api/media', () => {
  let server: TestServer;
  const work = mkdtempSync(join(tmpdir(), 'loa-media-'));
  const storedFiles = () => {
    const dir = join(server.dataDir, 'media');
    if (!existsSync(dir)) return [];
    const originals = existsSync(join(dir, 'originals')) ? readdirSync(join(dir, 'originals')) : [];
    return [...readdirSync(dir).filter((f) => f.endsWith('.ogg')), ...originals];
  };

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.close());

  it('stores a tone as mono 48 kHz Opus named by its SHA-256, and the same upload twice once', async () => {
    const mp3 = join(work, 'tone.mp3');
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:duration=3',
      '-ac',
      '2',
      '-ar',
      '44100',
      mp3,
    ]);
    const res = await server.admin.upload<{ sha256: string; durationMs: number; bytes: number }>(mp3);
    expect(res.status).toBe(201);
    expect(res.body.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Math.abs(res.body.durationMs - 3000)).toBeLessThan(100);
    const file = join(server.dataDir, 'media', `${res.body.sha256}.ogg`);
    const info = execFileSync('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_name,sample_rate,channels',
      '-of',
      'csv=p=0',
      file,
    ])
      .toString()
      .trim();
    expect(info).toBe('opus,48000,1');
    const again = await server.admin.upload<{ sha256: string }>(mp3, 'same-again.mp3');
    expect(again.body.sha256).toBe(res.body.sha256);
  });

  it('refuses a text file renamed .mp3 with a clear 4xx and stores nothing', async () => {
    const before = storedFiles();
    const fake = join(work, 'bulletin.mp3');
    writeFileSync(fake, 'Thông báo: họp thôn lúc 7 giờ tối.\n'.repeat(50));
    const res = await server.admin.upload<{ error: string; message: string }>(fake);
    expect(res.status).toBe(415);
    expect(res.body.error).toBe('not-audio');
    expect(res.body.message).toMatch(/not audio/);
    expect(storedFiles()).toEqual(before);
    expect(readdirSync(join(server.dataDir, 'media', 'uploads'))).toEqual([]);
  });

  it('refuses an empty file and a request without a file', async () => {
    const empty = join(work, 'empty.mp3');
    writeFileSync(empty, '');
    const res = await server.admin.upload<{ error: string }>(empty);
    expect(res.status).toBe(422);
    expect(res.body.error).toBe('empty-file');
    const none = await server.admin.post<{ error: string }>('/api/media', {});
    expect(none.status).toBe(415);
  });

  it('never uses the uploaded file name as a path', async () => {
    const mp3 = join(work, 'tone2.mp3');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=600:duration=1', mp3]);
    const res = await server.admin.upload<{ sha256: string; originalName: string }>(mp3, '../../../etc/evil.mp3');
    expect(res.status).toBe(201);
    expect(res.body.originalName).toMatch(/evil\.mp3$/);
    expect(readdirSync(join(server.dataDir, 'media', 'originals')).every((f) => /^[0-9a-f]{64}$/.test(f))).toBe(true);
    expect(existsSync(join(server.dataDir, '..', 'etc', 'evil.mp3'))).toBe(false);
  });

  it('needs a session', async () => {
    const res = await fetch(`${server.base}/api/media`, { method: 'POST' });
    expect(res.status).toBe(401);
  });
});
