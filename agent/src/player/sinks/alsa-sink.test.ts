// Issue 7, exact starts on a board: the ALSA sink opens the card while the item is prepared, so its
// first sample reaches the card at the instant. The card is faked by a script standing in for the
// ffmpeg that writes to it (it logs when it opened and when the first sample came); the decoder is
// the real ffmpeg. Then the real ffmpeg against alsa-lib's `null` device and a card that is absent.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../clock/clock.js';
import { memoryLogger } from '../../log.js';
import { makeSine, type TestMedia } from '../../testing/audio.js';
import { fakeAlsaFfmpeg } from '../../testing/fake-alsa-ffmpeg.js';
import { waitFor } from '../../testing/fake-server.js';
import { findFfmpeg } from '../ffmpeg.js';
import { CHUNK_BYTES, SAMPLE_RATE } from '../pcm.js';
import { Player, type Playback } from '../player.js';
import { alsaSink } from './alsa-sink.js';
import type { Sink } from './sink.js';
import { vocBlock, vocHeader } from './voc.js';

let dir: string;
let sine: TestMedia;
let long: TestMedia;
const sinks: Sink[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loa-alsa-'));
  sine = await makeSine(dir, 0.5);
  long = await makeSine(dir, 1);
});
afterAll(async () => {
  for (const s of sinks) await s.close?.();
  await rm(dir, { recursive: true, force: true });
});

function sinkWith(ffmpeg: string | undefined, device: string, idleCloseMs?: number): Sink {
  const sink = alsaSink(device, () => ffmpeg, Date.now, { idleCloseMs });
  sinks.push(sink);
  return sink;
}

function playerOn(sink: Sink) {
  return new Player({ sink, ffmpeg: findFfmpeg(), clock: systemClock, log: memoryLogger() });
}

const prepare = (p: Player, itemId: string, media = sine) =>
  p.prepare({ itemId, sha256: media.ref.sha256, input: { kind: 'file', path: media.path } });

// How late a write may reach the fake card here. The 20 ms start accuracy of issue #7 is measured by
// `npm run bench -- start-accuracy` on a quiet machine (p99 0 ms with real-time priority); in the
// suite this process shares two cores with Chromium and servers, and was seen 50–90 ms late. What
// these tests show is the design that makes the bench's figure possible: the card opened well
// before the instant, one writer for items back to back, and no sample before the instant.
const SCHEDULING_SLACK_MS = 150;

describe('the ALSA sink with a fake sound card', () => {
  it('opens the card while the item is prepared, and its first sample reaches the card at the instant', async () => {
    const fake = await fakeAlsaFfmpeg(join(dir, 'exact'));
    const player = playerOn(sinkWith(fake.path, 'hw:7,0'));
    // The scheduler prepares an item 2 s ahead of its instant.
    const at = Date.now() + 2000;
    const pb = prepare(player, 'exact');
    const open = await waitFor('the card open', async () => (await fake.events()).find((e) => e.event === 'open'));
    // Well ahead of the instant: only a write is left for it.
    expect(open.at).toBeLessThan(at - 500);
    const [spawn] = await fake.events();
    expect(spawn!.args!.slice(-3)).toEqual(['-f', 'alsa', 'hw:7,0']);
    expect((await fake.events()).some((e) => e.event === 'sound')).toBe(false);

    const outcome = await pb.play({ at, gain: () => 1, onStarted: () => undefined });
    expect(outcome.kind).toBe('finished');
    const sound = (await fake.events()).find((e) => e.event === 'sound')!;
    expect(sound.at - at).toBeGreaterThanOrEqual(0);
    expect(sound.at - at).toBeLessThan(SCHEDULING_SLACK_MS);
    expect(Math.abs(outcome.startedAt! - at)).toBeLessThan(SCHEDULING_SLACK_MS);
  }, 10_000);

  it('keeps one writer for items back to back: the next one never finds the card taken', async () => {
    const fake = await fakeAlsaFfmpeg(join(dir, 'back-to-back'));
    const sink = sinkWith(fake.path, 'hw:0');
    const player = playerOn(sink);
    const t = Date.now() + 1500;
    const first = prepare(player, 'first', long);
    // Prepared once the first sounds, as an emergency's next repeat is.
    let second!: Playback;
    const a = await first.play({ at: t, gain: () => 1, onStarted: () => (second = prepare(player, 'second', long)) });
    const b = await second.play({ at: a.startedAt! + a.durationMs, gain: () => 1, onStarted: () => undefined });
    expect([a.kind, b.kind]).toEqual(['finished', 'finished']);
    // Its first sample right after the last of the first.
    expect(Math.abs(b.startedAt! - (a.startedAt! + a.durationMs))).toBeLessThan(SCHEDULING_SLACK_MS);
    await sink.close!();
    const events = await fake.events();
    expect(events.map((e) => e.event)).toEqual(['spawn', 'open', 'sound', 'eof']);
    // Both items' samples, and no more than a few ms of the silence that opened the card.
    const played = events.at(-1)!.samples! - a.durationMs * 48 - b.durationMs * 48;
    expect(played).toBeGreaterThanOrEqual(0);
    expect(played).toBeLessThan(SAMPLE_RATE * 0.05);
  }, 10_000);

  it('fails a card that cannot be opened before the instant, with ffmpeg’s reason', async () => {
    const fake = await fakeAlsaFfmpeg(join(dir, 'busy'), { busy: true });
    const player = playerOn(sinkWith(fake.path, 'hw:0'));
    const at = Date.now() + 3000;
    const outcome = await prepare(player, 'busy').play({ at, gain: () => 1, onStarted: () => undefined });
    expect(Date.now()).toBeLessThan(at);
    expect(outcome).toMatchObject({
      kind: 'failed',
      startedAt: undefined,
      reason: expect.stringContaining(
        'sink alsa:hw:0: ffmpeg (alsa hw:0) exited with code 1: [alsa @ 0x1] cannot open audio device hw:0 (Device or resource busy)',
      ),
    });
    expect((await fake.events()).map((e) => e.event)).toEqual(['spawn', 'refused']);
  });

  it('lets the card go when nothing has been prepared for a while, and opens it again for the next item', async () => {
    const fake = await fakeAlsaFfmpeg(join(dir, 'idle'));
    const sink = sinkWith(fake.path, 'hw:0', 150);
    const session = await sink.open({ itemId: 'x', sha256: 'x' });
    await session.abort();
    await waitFor('the writer ended', async () => (await fake.events()).some((e) => e.event === 'eof'));
    const again = await sink.open({ itemId: 'y', sha256: 'y' });
    await again.write(Buffer.alloc(CHUNK_BYTES, 1));
    await again.close();
    // The fake card notes what it heard as it reads it: on a busy machine, after close resolves.
    await waitFor('the sound at the card', async () => (await fake.events()).some((e) => e.event === 'sound'));
    const events = (await fake.events()).map((e) => e.event);
    // And let go once more, if 150 ms have passed since.
    expect(events.slice(0, 6)).toEqual(['spawn', 'open', 'eof', 'spawn', 'open', 'sound']);
    expect(events.slice(6)).toEqual(events.length > 6 ? ['eof'] : []);
  });
});

describe('the ALSA sink with the real ffmpeg', () => {
  it('frames PCM as VOC blocks that ffmpeg reads back sample for sample', async () => {
    const pcm = Buffer.alloc(CHUNK_BYTES * 3);
    for (let i = 0; i < pcm.length / 2; i++) pcm.writeInt16LE((i * 37) % 20_000, i * 2);
    const stream = Buffer.concat([vocHeader(), vocBlock(pcm.subarray(0, 100)), vocBlock(pcm.subarray(100))]);
    const out = await new Promise<Buffer>((resolve, reject) => {
      const child = execFile(
        findFfmpeg()!,
        ['-nostdin', '-loglevel', 'error', '-f', 'voc', '-i', 'pipe:0', '-f', 's16le', 'pipe:1'],
        { encoding: 'buffer' },
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      );
      child.stdin!.end(stream);
    });
    expect(out.equals(pcm)).toBe(true);
  });

  it('plays into alsa-lib’s null device, and ends cleanly', async () => {
    const sink = sinkWith(findFfmpeg(), 'null');
    const outcome = await prepare(playerOn(sink), 'null').play({
      at: Date.now() + 500,
      gain: () => 1,
      onStarted: () => undefined,
    });
    expect(outcome).toMatchObject({ kind: 'finished' });
    await sink.close!();
  }, 10_000);

  it('refuses a card that is not there when the item is prepared', async () => {
    const sink = sinkWith(findFfmpeg(), 'hw:77');
    await expect(sink.open({ itemId: 'x', sha256: 'x' })).rejects.toThrow(
      /^ffmpeg \(alsa hw:77\) exited with code \d+: .*cannot open audio device hw:77/,
    );
  });
});
