import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../clock/clock.js';
import { memoryLogger } from '../log.js';
import { makeSine, wavDurationMs, type TestMedia } from '../testing/audio.js';
import { findFfmpeg } from './ffmpeg.js';
import { Player, type PlayOutcome } from './player.js';
import { fileSink, type SinkRecord } from './sinks/file-sink.js';
import { WAV_HEADER_BYTES } from './sinks/wav.js';

let dir: string;
let sine: TestMedia;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loa-player-'));
  sine = await makeSine(dir, 1);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function player(sinkDir: string) {
  return new Player({ sink: fileSink(sinkDir), ffmpeg: findFfmpeg(), clock: systemClock, log: memoryLogger() });
}

function peak(wav: Buffer): number {
  let max = 0;
  for (let i = WAV_HEADER_BYTES; i + 1 < wav.length; i += 2) max = Math.max(max, Math.abs(wav.readInt16LE(i)));
  return max;
}

async function records(sinkDir: string): Promise<SinkRecord[]> {
  const text = await readFile(join(sinkDir, 'sink.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SinkRecord);
}

describe('Player with the file sink', () => {
  it('holds a prepared decoder until the instant, then starts on the ms, at the item gain', async () => {
    const sinkDir = join(dir, 'gain');
    const p = player(sinkDir);
    const full = p.prepare({ itemId: 'full', sha256: sine.ref.sha256, input: { kind: 'file', path: sine.path } });
    const half = p.prepare({ itemId: 'half/50%', sha256: sine.ref.sha256, input: { kind: 'file', path: sine.path } });
    // Both decoders wait, blocked on their pipes, long after ffmpeg would have finished.
    await new Promise((r) => setTimeout(r, 600));
    const at = Date.now() + 100;
    const started: number[] = [];
    const [a, b] = await Promise.all([
      full.play({ at, gain: () => 1, onStarted: (t) => started.push(t) }),
      half.play({ at, gain: () => 0.5, onStarted: (t) => started.push(t) }),
    ]);
    expect(a).toMatchObject({ kind: 'finished' });
    expect(b.kind).toBe('finished');
    for (const t of started) expect(Math.abs(t - at)).toBeLessThan(20);
    const all = await records(sinkDir);
    const ra = all.find((r) => r.itemId === 'full');
    const rb = all.find((r) => r.itemId === 'half/50%');
    expect(rb!.file).toMatch(/^\d+_half_50_.wav$/);
    const wa = await readFile(join(sinkDir, ra!.file));
    const wb = await readFile(join(sinkDir, rb!.file));
    expect(Math.abs(wavDurationMs(wa) - 1000)).toBeLessThan(100);
    expect(peak(wb) / peak(wa)).toBeCloseTo(0.5, 1);
    // Paced like a loudspeaker: it took the media's duration to write.
    expect(Math.abs(ra!.endedAt - ra!.startedAt - 1000)).toBeLessThan(100);
  }, 10_000);

  it('stops an item mid-way and keeps what sounded', async () => {
    const sinkDir = join(dir, 'stop');
    const pb = player(sinkDir).prepare({
      itemId: 'cut',
      sha256: sine.ref.sha256,
      input: { kind: 'file', path: sine.path },
    });
    const done = pb.play({
      at: Date.now(),
      gain: () => 1,
      onStarted: () => setTimeout(() => pb.stop('stopped by command'), 300),
    });
    const outcome: PlayOutcome = await done;
    expect(outcome).toMatchObject({ kind: 'stopped', reason: 'stopped by command' });
    expect(outcome.durationMs).toBeGreaterThan(200);
    expect(outcome.durationMs).toBeLessThan(450);
    const [rec] = await records(sinkDir);
    expect(Math.abs(wavDurationMs(await readFile(join(sinkDir, rec!.file))) - outcome.durationMs)).toBeLessThan(25);
  });

  it('fails on a file ffmpeg cannot decode, and leaves no trace in the sink', async () => {
    const sinkDir = join(dir, 'bad');
    const bad = join(dir, 'bad.ogg');
    await writeFile(bad, Buffer.alloc(4000, 3));
    const outcome = await player(sinkDir)
      .prepare({ itemId: 'bad', sha256: 'ab'.repeat(32), input: { kind: 'file', path: bad } })
      .play({ at: 0, gain: () => 1, onStarted: () => undefined });
    expect(outcome).toMatchObject({
      kind: 'failed',
      durationMs: 0,
      reason: expect.stringMatching(/^ffmpeg exited with code \d+/),
    });
    expect(await readdir(sinkDir)).toEqual([]);
  });

  it('discards a prepared item that is cancelled before its instant', async () => {
    const sinkDir = join(dir, 'cancel');
    const pb = player(sinkDir).prepare({
      itemId: 'never',
      sha256: sine.ref.sha256,
      input: { kind: 'file', path: sine.path },
    });
    await new Promise((r) => setTimeout(r, 200));
    pb.stop('removed');
    await new Promise((r) => setTimeout(r, 100));
    expect(await readdir(sinkDir)).toEqual([]);
  });
});
