// The audio to hear before approving, and the original as uploaded (GET /api/media/:sha256/…).
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../testing/start-server.js';
import type { MediaView } from './media.repo.js';
import { convert, speechWav } from './testing/fixtures.js';

describe('GET /api/media/:sha256/audio and /original', () => {
  let server: TestServer;
  let media: MediaView;
  let uploaded: Buffer;

  beforeAll(async () => {
    server = await startServer();
    const work = mkdtempSync(join(tmpdir(), 'loa-audio-'));
    const mp3 = convert(speechWav(work), join(work, 'thông báo.mp3'));
    uploaded = readFileSync(mp3);
    media = (await server.admin.upload<MediaView>(mp3, 'thông báo <họp>; thôn.mp3')).body;
  });
  afterAll(async () => server?.close());

  it('serves the normalized Opus, whose bytes hash to its name', async () => {
    const res = await server.admin.fetchRaw(`/api/media/${media.sha256}/audio`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/ogg');
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(media.bytes);
    expect(createHash('sha256').update(body).digest('hex')).toBe(media.sha256);
  });

  it('answers byte ranges, for a player that seeks', async () => {
    const res = await fetch(`${server.base}/api/media/${media.sha256}/audio`, {
      headers: { cookie: server.admin.cookie, range: 'bytes=100-199' },
    });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 100-199/${media.bytes}`);
    expect((await res.arrayBuffer()).byteLength).toBe(100);
    const past = await fetch(`${server.base}/api/media/${media.sha256}/audio`, {
      headers: { cookie: server.admin.cookie, range: `bytes=${media.bytes + 10}-` },
    });
    expect(past.status).toBe(416);
  });

  it('gives back the original byte for byte, under a harmless name', async () => {
    const res = await server.admin.fetchRaw(`/api/media/${media.sha256}/original`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(uploaded)).toBe(true);
    const disposition = res.headers.get('content-disposition')!;
    expect(decodeURIComponent(disposition.split("''")[1]!)).toBe('thông báo _họp__ thôn.mp3');
  });

  it('answers 404 for media it does not have, and 401 without a session', async () => {
    expect((await server.admin.fetchRaw(`/api/media/${'0'.repeat(64)}/audio`)).status).toBe(404);
    expect((await fetch(`${server.base}/api/media/${media.sha256}/audio`)).status).toBe(401);
    const viewer = await server.userClient('viewer');
    expect((await viewer.fetchRaw(`/api/media/${media.sha256}/audio`)).status).toBe(200);
  });
});
