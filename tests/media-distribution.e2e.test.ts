// Issue #6, distribution (DESIGN §3) with real agent processes on the real broker: a bulletin read
// by the built-in TTS reaches three units for about one copy of its bytes published; a chunk whose
// bytes do not match makes the agent discard the file and want it again, then hold the right one;
// and a bulletin written as text plays at its instant.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type PlanBody } from '@loa/shared';
import type {} from '../server/src/broker/broker.plugin.js';
import type {} from '../server/src/services.plugin.js';
import { startAgent, type AgentProcess } from './support/agent.js';
import { durationMs } from './support/audio.js';
import { startServer, type TestServer } from './support/server.js';
import { waitFor } from './support/wait.js';

interface Media {
  sha256: string;
  bytes: number;
  durationMs: number;
  text: string | null;
}

const CHUNK = 4096;

interface SinkEntry {
  itemId: string;
  sha256: string;
  file: string;
  startedAt: number;
}

function readSink(dir: string): SinkEntry[] {
  const file = join(dir, 'sink.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SinkEntry);
}
const sha256Of = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('media reaches the units once for all, and a bad chunk is wanted again', () => {
  let server: TestServer;
  const agents: AgentProcess[] = [];
  const units: Array<{ id: string; secret: string; key: string }> = [];
  let version = 100;

  /** A plan as the server signs it, naming one media in a window around now. */
  async function planFor(unit: string, media: Media, startAt = Date.now() + 30 * 60_000) {
    const now = Date.now();
    const body: PlanBody = {
      unit,
      version: ++version,
      issuedAt: now,
      expiresAt: now + 3600_000,
      windows: [{ startAt: now - 60_000, endAt: now + 3600_000 }],
      items: [
        {
          id: `thong-bao@${media.sha256.slice(0, 8)}`,
          bulletinId: 'thong-bao',
          level: 'ordinary',
          media: { sha256: media.sha256, bytes: media.bytes, durationMs: media.durationMs },
          startAt,
          validUntil: now + 3600_000,
          volume: 80,
        },
      ],
      warmupMs: 0,
    };
    await server.app.bus.publish(topics.plan(unit), JSON.stringify(server.app.signer.sign(body)), {
      qos: 1,
      retain: true,
    });
  }

  const cached = (a: AgentProcess, sha: string) => join(a.dataDir, 'cache', sha);
  const stats = () => ({ ...server.app.services.distribution.stats });

  beforeAll(async () => {
    // A long gather, so a chunk the test forges reaches the agent before the server's own.
    server = await startServer({ MEDIA_CHUNK_BYTES: String(CHUNK), MEDIA_WANT_GATHER_MS: '1500' });
    for (const id of ['thon-dong', 'thon-doai', 'thon-trung']) {
      const res = await server.admin.post<{ unit: { id: string }; secret: string; serverPublicKey: string }>(
        '/api/units',
        { id, name: id },
      );
      expect(res.status).toBe(201);
      units.push({ id, secret: res.body.secret, key: res.body.serverPublicKey });
    }
    for (const u of units)
      agents.push(startAgent({ mqttUrl: server.mqttUrl, unit: u.id, secret: u.secret, serverKeyPem: u.key }));
    await waitFor(
      'three units online',
      async () => {
        const list = await server.admin.get<{ units: Array<{ online: boolean }> }>('/api/units');
        return list.body.units.filter((u) => u.online).length === 3 ? true : undefined;
      },
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${agents.map((a) => a.lines.join('\n')).join('\n---\n')}`);
    });
  }, 90_000);

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.kill('SIGKILL')));
    await server?.close();
  });

  it('sends a TTS bulletin to three agents for about one copy of its bytes', async () => {
    const tts = await server.admin.post<Media>('/api/media/tts', {
      text: 'Kính thưa bà con, ngày mai xã tổ chức tiêm phòng dại cho chó mèo tại nhà văn hóa các thôn.',
      voice: 'vi-vn-x-south',
    });
    expect(tts.status, JSON.stringify(tts.body)).toBe(201);
    const media = tts.body;
    expect(media.bytes).toBeGreaterThan(2 * CHUNK); // several chunks
    const before = stats();
    for (const u of units) await planFor(u.id, media);
    for (const a of agents)
      await waitFor('the media in every cache', () => (existsSync(cached(a, media.sha256)) ? true : undefined), 30_000);
    for (const a of agents) expect(sha256Of(cached(a, media.sha256))).toBe(media.sha256);
    const published = stats().bytesPublished - before.bytesPublished;
    expect(published).toBeGreaterThanOrEqual(media.bytes);
    expect(published, `${published} bytes published for ${media.bytes}`).toBeLessThanOrEqual(media.bytes * 1.5);
  }, 60_000);

  it('has the agent discard a file whose chunk does not match, want it again, and keep the right one', async () => {
    const up = await server.admin.post<Media>('/api/media/tts', {
      text: 'Thông báo khẩn: nước sông đang lên, đề nghị bà con vùng trũng chuẩn bị di dời.',
      voice: 'vi',
    });
    expect(up.status).toBe(201);
    const media = up.body;
    const count = Math.ceil(media.bytes / CHUNK);
    const agent = agents[0]!;
    const short = media.sha256.slice(0, 12);
    const before = stats();
    await planFor(units[0]!.id, media);
    await waitFor(
      'the agent to want it',
      () => (stats().wantsReceived > before.wantsReceived ? true : undefined),
      15_000,
    );
    // While the server gathers, a chunk 0 with the right length and the wrong bytes.
    await server.app.bus.publish(topics.mediaChunk(media.sha256, 0, count), Buffer.alloc(CHUNK, 0x5a), { qos: 1 });
    await waitFor(
      'the agent to discard the bad file',
      () =>
        agent.lines.some((l) => l.includes(`discarded media ${short}`) && /wanting it again/.test(l))
          ? true
          : undefined,
      20_000,
    );
    await waitFor(
      'the right file in the cache',
      () => (existsSync(cached(agent, media.sha256)) ? true : undefined),
      20_000,
    );
    expect(sha256Of(cached(agent, media.sha256))).toBe(media.sha256);
    // The agent writes its line after the file is in place; it comes through its stdout a moment later.
    await waitFor('the agent to say it is complete', () =>
      agent.lines.some((l) => l.includes(`media ${short} complete`)) ? true : undefined,
    );
    // It asked again after discarding, and the server sent the file again.
    expect(stats().wantsReceived - before.wantsReceived).toBeGreaterThanOrEqual(2);
    expect(stats().bytesPublished - before.bytesPublished).toBeGreaterThanOrEqual(2 * media.bytes - CHUNK);
    expect(agent.child.exitCode).toBeNull();
  }, 60_000);

  it('plays a bulletin written as text at its instant, for as long as its media lasts', async () => {
    const res = await server.admin.post<Media>('/api/media/tts', {
      text: 'Loa phát thanh xã xin thông báo: chiều nay có họp dân tại hội trường thôn.',
      voice: 'vi-vn-x-central',
    });
    expect(res.status).toBe(201);
    const media = res.body;
    const agent = agents[2]!;
    const startAt = Date.now() + 6000;
    await planFor(units[2]!.id, media, startAt);
    const played = await waitFor(
      'the item in the sink',
      () => readSink(agent.sinkDir).find((e) => e.sha256 === media.sha256),
      30_000,
      200,
    );
    expect(Math.abs(played.startedAt - startAt), 'start error (ms)').toBeLessThanOrEqual(200);
    const file = played.file.startsWith('/') ? played.file : join(agent.sinkDir, played.file);
    expect(Math.abs(durationMs(file) - media.durationMs), 'duration error (ms)').toBeLessThanOrEqual(100);
  }, 60_000);
});
