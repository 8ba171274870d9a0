// Text to speech through the real app: espeak-ng's three Vietnamese voices, and a commercial-style
// HTTP service (a local one here) configured by environment; the result is normalized and stored
// like any upload, with its text.
import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../../testing/start-server.js';
import type { MediaView } from '../media.repo.js';
import { ebur128, speechWav, streamInfo } from '../testing/fixtures.js';

const TEXT = 'Thông báo: chiều nay lúc năm giờ, thôn tổ chức họp dân tại nhà văn hóa.';

function expectAtTarget(server: TestServer, m: MediaView) {
  const file = join(server.dataDir, 'media', `${m.sha256}.ogg`);
  expect(streamInfo(file)).toMatchObject({ codec: 'opus', sampleRate: 48000, channels: 1 });
  const measured = ebur128(file);
  expect(Math.abs(measured.integratedLufs + 16)).toBeLessThanOrEqual(1);
  expect(measured.truePeakDbtp).toBeLessThanOrEqual(-1.5);
}

describe('POST /api/media/tts with espeak-ng', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.close());

  it('offers the northern, central and southern Vietnamese voices', async () => {
    const res = await server.admin.get<{ voices: Array<{ id: string; provider: string }>; default: string }>(
      '/api/media/tts/voices',
    );
    expect(res.status).toBe(200);
    expect(res.body.voices.map((v) => v.id).sort()).toEqual(['vi', 'vi-vn-x-central', 'vi-vn-x-south']);
    expect(res.body.default).toBe('vi');
  });

  it.each(['vi', 'vi-vn-x-central', 'vi-vn-x-south'])(
    'reads a bulletin aloud in voice %s, keeping the text',
    async (voice) => {
      const res = await server.admin.post<MediaView>('/api/media/tts', { text: `  ${TEXT}\n`, voice });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toMatchObject({ source: 'tts', text: TEXT, voice, content: 'speech' });
      expect(res.body.durationMs).toBeGreaterThan(2500);
      expectAtTarget(server, res.body);
    },
  );

  it('makes the same media from the same text and voice', async () => {
    const a = await server.admin.post<MediaView>('/api/media/tts', { text: TEXT, voice: 'vi' });
    const b = await server.admin.post<MediaView>('/api/media/tts', { text: TEXT, voice: 'vi' });
    expect(b.body.sha256).toBe(a.body.sha256);
  });

  it('runs as a job with ?async=1', async () => {
    const res = await server.admin.post<{ jobId: string }>('/api/media/tts?async=1', { text: 'Mời bà con đi họp.' });
    expect(res.status).toBe(202);
    let job: { state: string; media?: MediaView };
    do {
      await new Promise((r) => setTimeout(r, 50));
      job = (await server.admin.get<typeof job>(`/api/media/jobs/${res.body.jobId}`)).body;
    } while (job.state === 'queued' || job.state === 'running');
    expect(job.state).toBe('done');
    expect(job.media?.text).toBe('Mời bà con đi họp.');
  });

  it('refuses blank text, text over the limit, an unknown voice, and a viewer', async () => {
    const blank = await server.admin.post<{ error: string; field: string }>('/api/media/tts', { text: '   \n ' });
    expect(blank.status).toBe(400);
    expect(blank.body).toMatchObject({ error: 'text-required', field: 'text' });
    const long = await server.admin.post<{ error: string; message: string }>('/api/media/tts', {
      text: 'a'.repeat(5001),
    });
    expect(long.status).toBe(400);
    expect(long.body.error).toBe('text-too-long');
    expect(long.body.message).toMatch(/5001 characters; at most 5000/);
    const voice = await server.admin.post<{ error: string; message: string }>('/api/media/tts', {
      text: TEXT,
      voice: 'en-us',
    });
    expect(voice.status).toBe(400);
    expect(voice.body.error).toBe('unknown-voice');
    expect(voice.body.message).toMatch(/vi-vn-x-south/);
    const viewer = await server.userClient('viewer');
    expect((await viewer.post('/api/media/tts', { text: TEXT })).status).toBe(403);
  });
});

describe('POST /api/media/tts with a TTS service over HTTP', () => {
  let server: TestServer;
  let tts: Server;
  const requests: Array<{ auth: string | undefined; body: Record<string, string> }> = [];
  let mode: 'audio' | 'link' | 'broken' = 'audio';
  let pollsBeforeReady = 0;
  let mp3: Buffer;
  let rendered: Buffer;

  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (d: Buffer) => (data += d.toString()));
      req.on('end', () => resolve(data));
    });

  beforeAll(async () => {
    const work = mkdtempSync(join(tmpdir(), 'loa-tts-http-'));
    const wav = speechWav(work, 'service.wav', TEXT, 'vi-vn-x-south');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', wav, join(work, 'service.mp3')]);
    mp3 = readFileSync(join(work, 'service.mp3'));
    const later = speechWav(work, 'later.wav', `${TEXT} Xin cảm ơn.`, 'vi-vn-x-south');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', later, join(work, 'later.mp3')]);
    rendered = readFileSync(join(work, 'later.mp3'));
    tts = createServer((req, res) => {
      void (async () => {
        if (req.method === 'GET' && req.url === '/files/1.mp3') {
          if (pollsBeforeReady-- > 0) return res.writeHead(404).end();
          return res.writeHead(200, { 'content-type': 'audio/mpeg' }).end(rendered);
        }
        requests.push({
          auth: req.headers.authorization,
          body: JSON.parse(await readBody(req)) as Record<string, string>,
        });
        if (mode === 'broken') return res.writeHead(500).end('overloaded');
        if (mode === 'link') {
          const port = (tts.address() as { port: number }).port;
          return res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ error: 0, async: `http://127.0.0.1:${port}/files/1.mp3` }));
        }
        res.writeHead(200, { 'content-type': 'audio/mpeg' }).end(mp3);
      })();
    });
    await new Promise<void>((r) => tts.listen(0, '127.0.0.1', r));
    const port = (tts.address() as { port: number }).port;
    server = await startServer({
      TTS_HTTP_URL: `http://127.0.0.1:${port}/v1/tts`,
      TTS_HTTP_API_KEY: 'k-123',
      TTS_HTTP_VOICES: 'banmai,leminh',
      TTS_HTTP_BODY: '{"input":"{{text}}","voice":"{{voice}}","speed":"0"}',
    });
  });
  afterAll(async () => {
    await server?.close();
    tts?.close();
  });

  it('lists the service voices first, and uses one by default', async () => {
    const res = await server.admin.get<{ voices: Array<{ id: string; provider: string }>; default: string }>(
      '/api/media/tts/voices',
    );
    expect(res.body.voices.slice(0, 2)).toMatchObject([
      { id: 'banmai', provider: 'http' },
      { id: 'leminh', provider: 'http' },
    ]);
    expect(res.body.voices.map((v) => v.id)).toContain('vi');
    expect(res.body.default).toBe('banmai');
  });

  it('sends the filled template with the key and stores the audio it answers', async () => {
    mode = 'audio';
    const res = await server.admin.post<MediaView>('/api/media/tts', { text: TEXT, voice: 'leminh' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(requests.at(-1)).toEqual({ auth: 'Bearer k-123', body: { input: TEXT, voice: 'leminh', speed: '0' } });
    expect(res.body).toMatchObject({ source: 'tts', text: TEXT, voice: 'leminh', originalFormat: 'mp3' });
    expectAtTarget(server, res.body);
  });

  it('follows a link to audio that is rendered asynchronously', async () => {
    mode = 'link';
    pollsBeforeReady = 2;
    const res = await server.admin.post<MediaView>('/api/media/tts', { text: `${TEXT} Xin cảm ơn.`, voice: 'banmai' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(pollsBeforeReady).toBeLessThan(0);
    expect(res.body).toMatchObject({ voice: 'banmai', text: `${TEXT} Xin cảm ơn.` });
    expectAtTarget(server, res.body);
  });

  it('says the service failed, and suggests the built-in voices', async () => {
    mode = 'broken';
    const res = await server.admin.post<{ error: string; message: string }>('/api/media/tts', {
      text: 'Một câu khác.',
    });
    expect(res.status).toBe(502);
    expect(res.body.error).toBe('tts-failed');
    expect(res.body.message).toMatch(/HTTP 500.*espeak-ng/);
  });
});
