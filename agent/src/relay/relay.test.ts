// Relay (tiếp sóng, issue #8) through the real player: real ffmpeg pulling a local HTTP station at
// real-time pace into the file sink. The source dying mid-relay and an unreachable URL are reported
// as `relay source …` faults, retried until the slot ends, and never sound anything but the station.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../clock/clock.js';
import { memoryLogger } from '../log.js';
import { findFfmpeg } from '../player/ffmpeg.js';
import { Player, type PlayOutcome } from '../player/player.js';
import { fileSink, type SinkRecord } from '../player/sinks/file-sink.js';
import { WAV_HEADER_BYTES } from '../player/sinks/wav.js';
import { startStreamServer, type StreamServer } from './stream-server.js';

const BITRATE = 64_000;
let dir: string;
let station: StreamServer;
/** The station's own peak, decoded the way the agent decodes it. */
let sourcePeak = 0;

async function relay(sinkDir: string, url: string, slotMs: number, during?: (elapsed: number) => void) {
  const player = new Player({ sink: fileSink(sinkDir), ffmpeg: findFfmpeg(), clock: systemClock, log: memoryLogger() });
  // Prepared 2 s ahead, as the scheduler does (prepareLeadMs): ffmpeg has connected by the instant.
  const start = Date.now() + 2000;
  const playback = player.prepare({
    itemId: 'vov1',
    sha256: 'ab'.repeat(32),
    input: { kind: 'relay', url, endAt: start + slotMs },
  });
  const faults: { at: number; reason: string }[] = [];
  let startedAt: number | undefined;
  const tick = during && setInterval(() => during(Date.now() - start), 100);
  const outcome: PlayOutcome = await playback.play({
    at: start,
    gain: () => 1,
    onStarted: (t) => (startedAt = t),
    onFault: (reason) => faults.push({ at: Date.now() - start, reason }),
  });
  if (tick) clearInterval(tick);
  const text = await readFile(join(sinkDir, 'sink.jsonl'), 'utf8').catch(() => '');
  const records = text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SinkRecord);
  return { outcome, faults, startedAt, start, records, endedAt: Date.now() };
}

async function peakOf(file: string): Promise<number> {
  const wav = await readFile(file);
  let peak = 0;
  for (let i = WAV_HEADER_BYTES; i + 1 < wav.length; i += 2) peak = Math.max(peak, Math.abs(wav.readInt16LE(i)));
  return peak;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loa-relay-'));
  const mp3 = join(dir, 'station.mp3');
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:duration=30',
    '-ac',
    '1',
    '-b:a',
    '64k',
    '-y',
    mp3,
  ]);
  const pcm = execFileSync('ffmpeg', ['-v', 'error', '-i', mp3, '-ac', '1', '-ar', '48000', '-f', 's16le', 'pipe:1'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  for (let i = 0; i + 1 < pcm.length; i += 2) sourcePeak = Math.max(sourcePeak, Math.abs(pcm.readInt16LE(i)));
  station = await startStreamServer(mp3, BITRATE);
});
afterAll(async () => {
  await station?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('relaying a station', () => {
  it('pulls the stream from the instant until the slot ends', async () => {
    const sink = join(dir, 'ok');
    const r = await relay(sink, station.url, 4000);
    expect(r.outcome.kind).toBe('finished');
    expect(r.faults).toEqual([]);
    expect(Math.abs(r.startedAt! - r.start)).toBeLessThan(100);
    expect(r.records).toHaveLength(1);
    expect(Math.abs(r.records[0]!.samples / 48 - 4000)).toBeLessThan(150);
    expect(Math.abs(r.endedAt - (r.start + 4000))).toBeLessThan(500);
    expect(await peakOf(join(sink, r.records[0]!.file))).toBeLessThanOrEqual(sourcePeak);
  }, 20_000);

  it('reports the source dying mid-relay, stays silent, and picks it up again until the slot ends', async () => {
    const sink = join(dir, 'dies');
    let phase = 0;
    // Down for 6 s: longer than ffmpeg's own reconnects bridge (about 3 s with reconnect_delay_max 2).
    const r = await relay(sink, station.url, 14_000, (t) => {
      if (phase === 0 && t >= 2500) {
        phase = 1;
        station.down();
      } else if (phase === 1 && t >= 8500) {
        phase = 2;
        station.up();
      }
    });
    expect(r.outcome.kind).toBe('finished');
    expect(r.faults.length).toBeGreaterThanOrEqual(1);
    for (const f of r.faults) expect(f.reason).toMatch(/^relay source http:\/\/127\.0\.0\.1:\d+\/vov1\.mp3: /);
    expect(r.faults[0]!.at).toBeGreaterThanOrEqual(2400);
    // Two stretches of the station, nothing in the gap: at most what the station served.
    expect(r.records.length).toBeGreaterThanOrEqual(2);
    const relayedMs = r.records.reduce((s, x) => s + x.samples / 48, 0);
    expect(relayedMs).toBeGreaterThan(5000);
    expect(relayedMs).toBeLessThan(14_000 - 3000);
    // Picked up again only once the station is back, and ended with the slot.
    const second = r.records.at(-1)!;
    expect(second.startedAt - r.start).toBeGreaterThanOrEqual(8500);
    expect(Math.abs(second.endedAt - (r.start + 14_000))).toBeLessThan(600);
    for (const rec of r.records) expect(await peakOf(join(sink, rec.file))).toBeLessThanOrEqual(sourcePeak);
  }, 40_000);

  it('an unreachable URL: faults that say so, retries until the slot ends, not a sound', async () => {
    const sink = join(dir, 'unreachable');
    const r = await relay(sink, 'http://127.0.0.1:9/vov1.mp3', 5000);
    expect(r.outcome.kind).toBe('failed');
    expect(r.outcome.kind === 'failed' && r.outcome.reason).toMatch(
      /^relay source http:\/\/127\.0\.0\.1:9\/vov1\.mp3 never answered \(\d+ attempts\)/,
    );
    expect(r.faults.length).toBeGreaterThanOrEqual(2);
    expect(r.faults[0]!.reason).toMatch(/^relay source http:\/\/127\.0\.0\.1:9\/vov1\.mp3: /);
    expect(r.startedAt).toBeUndefined();
    expect(r.records).toEqual([]);
    expect(Math.abs(r.endedAt - (r.start + 5000))).toBeLessThan(1500);
  }, 20_000);
});
