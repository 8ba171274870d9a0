// The bad files operators really send (issue #6): each refused with a clear message and a stable
// code, nothing stored, and the server carries on.
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  truncateSync,
  writeFileSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../testing/start-server.js';
import { convert, lavfi, speechWav } from './testing/fixtures.js';

type ErrorBody = { error: string; message: string };

describe('POST /api/media refuses bad input', () => {
  let server: TestServer;
  const work = mkdtempSync(join(tmpdir(), 'loa-bad-'));
  const MAX_BYTES = 3_000_000;

  const everythingStored = () => {
    const dir = join(server.dataDir, 'media');
    const list = (d: string) => (existsSync(join(dir, d)) ? readdirSync(join(dir, d)).map((f) => `${d}/${f}`) : []);
    return [
      ...readdirSync(dir).filter((f) => f.endsWith('.ogg')),
      ...list('originals'),
      ...list('uploads'),
      ...list('tmp'),
    ];
  };

  async function refused(file: string, status: number, code: string, message: RegExp, name?: string) {
    const before = everythingStored();
    const res = await server.admin.upload<ErrorBody>(file, name);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.error).toBe(code);
    expect(res.body.message).toMatch(message);
    expect(everythingStored()).toEqual(before);
    return res.body;
  }

  beforeAll(async () => {
    server = await startServer({ MAX_UPLOAD_BYTES: String(MAX_BYTES), MEDIA_MAX_MINUTES: '1' });
  });
  afterAll(async () => server?.close());

  it('a truncated MP3: cut off, copy it again', async () => {
    const mp3 = lavfi(work, 'whole.mp3', 'sine=frequency=500:duration=20', ['-ac', '2', '-b:a', '128k']);
    const cut = join(work, 'cut.mp3');
    copyFileSync(mp3, cut);
    truncateSync(cut, Math.floor(statSync(mp3).size * 0.4));
    const body = await refused(cut, 422, 'truncated-audio', /cut off: it declares 20 s of audio but holds only [78] s/);
    expect(body.message).toMatch(/copy it again/);
  });

  it('a truncated M4A whose index never got written', async () => {
    const m4a = convert(speechWav(work), join(work, 'memo.m4a'), ['-c:a', 'aac']);
    const cut = join(work, 'memo-cut.m4a');
    writeFileSync(cut, readFileSync(m4a).subarray(0, Math.floor(statSync(m4a).size / 2)));
    await refused(cut, 422, 'corrupt-audio', /incomplete/);
  });

  it('an MP3 damaged in the middle', async () => {
    const mp3 = lavfi(work, 'clean.mp3', 'sine=frequency=300:duration=10', ['-b:a', '128k']);
    const bytes = readFileSync(mp3);
    for (let off = 40_000; off < bytes.length - 2000; off += 4000)
      for (let i = 0; i < 600; i++) bytes[off + i] = (off * 31 + i * 7) & 0xff;
    const bad = join(work, 'damaged.mp3');
    writeFileSync(bad, bytes);
    await refused(bad, 422, 'corrupt-audio', /damaged/);
  });

  it('a PNG renamed .mp3', async () => {
    const png = lavfi(work, 'photo.png', 'color=c=red:s=64x64', ['-frames:v', '1']);
    const renamed = join(work, 'photo.mp3');
    copyFileSync(png, renamed);
    await refused(renamed, 415, 'not-audio', /not audio/);
  });

  it('a playlist renamed .mp3 that points at a file on the server is never opened', async () => {
    // Without the demuxer list, ffmpeg's HLS demuxer would read this MP3 from the server's disk.
    const secret = lavfi(work, 'secret.mp3', 'sine=frequency=700:duration=3');
    const playlist = join(work, 'playlist.mp3');
    writeFileSync(playlist, `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n${secret}\n#EXT-X-ENDLIST\n`);
    await refused(playlist, 415, 'not-audio', /not audio/);
  });

  it('a zero-byte file', async () => {
    const empty = join(work, 'empty.m4a');
    writeFileSync(empty, '');
    await refused(empty, 422, 'empty-file', /empty/);
  });

  it('a silent recording', async () => {
    const silent = lavfi(work, 'silence.wav', 'anullsrc=r=44100:cl=mono', ['-t', '5']);
    await refused(silent, 422, 'silent-audio', /silent/);
  });

  it('a file over the size limit, and the server still takes the next one', async () => {
    const big = lavfi(work, 'big.wav', 'sine=frequency=400:duration=40', ['-ac', '2', '-ar', '48000']);
    expect(statSync(big).size).toBeGreaterThan(MAX_BYTES);
    await refused(big, 413, 'upload-too-large', /larger than the server accepts/);
    const small = lavfi(work, 'small.mp3', 'sine=frequency=400:duration=2');
    expect((await server.admin.upload(small)).status).toBe(201);
  });

  it('a recording over the length limit', async () => {
    const long = lavfi(work, 'long.mp3', 'sine=frequency=400:duration=75', ['-b:a', '32k']);
    expect(statSync(long).size).toBeLessThan(MAX_BYTES);
    await refused(long, 413, 'audio-too-long', /lasts 1 min 15 s; the server accepts at most 1 min 0 s/);
  });
});
