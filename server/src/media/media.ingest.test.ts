// Ingest through the real app, real ffmpeg on real audio: every format operators bring comes out as
// mono 48 kHz Opus at −16 LUFS (±1 LU, measured here by ffmpeg's ebur128) with true peaks at or
// below −1.5 dBTP — or at a province's own target — trimmed of long silence, named by its hash,
// with the original kept; what cannot reach the target is stored with a warning, not silently.
import { readFileSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../testing/start-server.js';
import { findFfmpeg } from './ffmpeg.js';
import type { MediaView } from './media.repo.js';
import { normalizeToStore, sha256File } from './normalize.js';
import {
  amrFile,
  convert,
  ebur128,
  lavfi,
  paddedSpeech,
  silenceAtEnds,
  speechWav,
  streamInfo,
} from './testing/fixtures.js';

const TARGET = -16;
const CEILING = -1.5;

/** Measured by ebur128, not by the code under test: on target (±1 LU), under the ceiling, no warning. */
function expectNormalizedIn(dataDir: string, m: MediaView, target = TARGET, ceiling = CEILING) {
  const file = join(dataDir, 'media', `${m.sha256}.ogg`);
  expect(streamInfo(file)).toMatchObject({ codec: 'opus', sampleRate: 48000, channels: 1 });
  const measured = ebur128(file);
  expect(Math.abs(measured.integratedLufs - target), `loudness ${measured.integratedLufs} LUFS`).toBeLessThanOrEqual(1);
  expect(measured.truePeakDbtp, 'true peak').toBeLessThanOrEqual(ceiling);
  // The figures stored are those of the file itself.
  expect(Math.abs(m.loudness.outputLufs! - measured.integratedLufs)).toBeLessThanOrEqual(0.2);
  expect(Math.abs(m.loudness.outputTruePeakDbtp! - measured.truePeakDbtp)).toBeLessThanOrEqual(0.2);
  expect(m.warnings).toEqual([]);
}

describe('POST /api/media: normalized Opus from what operators bring', () => {
  let server: TestServer;
  const work = mkdtempSync(join(tmpdir(), 'loa-ingest-'));
  let speech: string;
  const stored = (sha: string) => join(server.dataDir, 'media', `${sha}.ogg`);
  const expectNormalized = (m: MediaView) => expectNormalizedIn(server.dataDir, m);

  beforeAll(async () => {
    server = await startServer();
    speech = speechWav(work);
  });
  afterAll(async () => server?.close());

  const formats: Array<[string, () => string]> = [
    ['MP3', () => convert(speech, join(work, 'bulletin.mp3'), ['-ac', '2', '-ar', '44100', '-b:a', '128k'])],
    ['WAV (stereo 44.1 kHz)', () => convert(speech, join(work, 'bulletin.wav'), ['-ac', '2', '-ar', '44100'])],
    ['M4A/AAC (a phone voice memo)', () => convert(speech, join(work, 'memo.m4a'), ['-c:a', 'aac', '-b:a', '96k'])],
    ['raw AAC (ADTS)', () => convert(speech, join(work, 'clip.aac'), ['-c:a', 'aac'])],
    ['Ogg/Opus', () => convert(speech, join(work, 'voice.opus'), ['-c:a', 'libopus', '-f', 'ogg'])],
    ['Ogg/Vorbis', () => convert(speech, join(work, 'voice.ogg'), ['-c:a', 'libvorbis'])],
    ['FLAC', () => convert(speech, join(work, 'master.flac'))],
    ['WebM/Opus (a browser recording)', () => convert(speech, join(work, 'rec.webm'), ['-c:a', 'libopus'])],
    ['3GP (AAC, a phone recording)', () => convert(speech, join(work, 'call.3gp'), ['-ar', '16000', '-c:a', 'aac'])],
    ['AMR-NB (a phone recording)', () => amrFile(work, 4)],
  ];

  it.each(formats)('accepts %s', async (_name, make) => {
    const res = await server.admin.upload<MediaView>(make());
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expectNormalized(res.body);
    expect(res.body.source).toBe('upload');
    expect(res.body.content).toBe('speech');
  });

  it('brings quiet and clipped recordings alike to the target, and records the input figures', async () => {
    const quiet = await server.admin.upload<MediaView>(speechWav(work, 'quiet.wav', undefined, 'vi-vn-x-south', 15));
    const loud = await server.admin.upload<MediaView>(
      convert(speech, join(work, 'loud.wav'), ['-af', 'volume=12dB']), // clipped hard at 0 dBFS
    );
    for (const res of [quiet, loud]) {
      expect(res.status).toBe(201);
      expectNormalized(res.body);
    }
    expect(quiet.body.loudness.inputLufs!).toBeLessThan(-30);
    expect(quiet.body.loudness.gainDb!).toBeGreaterThan(12);
    expect(loud.body.loudness.inputPeakDbfs!).toBeGreaterThan(-0.5);
    expect(loud.body.loudness.gainDb!).toBeLessThan(0);
  });

  it('stores a recording near −55 LUFS at the gain cap, and says so on the media', async () => {
    const level = ebur128(speech).integratedLufs;
    const faint = convert(speech, join(work, 'faint.wav'), ['-af', `volume=${(-55 - level).toFixed(1)}dB`]);
    expect(Math.abs(ebur128(faint).integratedLufs + 55)).toBeLessThanOrEqual(1);
    const res = await server.admin.upload<MediaView>(faint);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const m = res.body;
    expect(m.loudness.gainDb).toBe(30);
    // What the units will play: 30 dB up, still far under the target.
    const measured = ebur128(stored(m.sha256)).integratedLufs;
    expect(measured).toBeLessThan(TARGET - 5);
    expect(m.warnings.map((w) => w.code)).toEqual(['gain-capped', 'loudness-missed']);
    expect(m.warnings[0]!.message).toMatch(/\+30 dB/);
    expect(m.warnings[1]!.message).toMatch(/under the target of -16\.0 LUFS/);
    // Kept with the media: the list and its own page say it too.
    const again = await server.admin.get<MediaView>(`/api/media/${m.sha256}`);
    expect(again.body.warnings).toEqual(m.warnings);
  });

  it('encodes music at 64 kb/s and speech at 32 kb/s', async () => {
    const music = lavfi(work, 'music.flac', 'anoisesrc=color=pink:amplitude=0.3:duration=12:seed=7', ['-ac', '2']);
    const asSpeech = await server.admin.upload<MediaView>(music, 'as-speech.flac');
    const form = new FormData();
    form.append('content', 'music');
    form.append('file', new Blob([readFileSync(music)]), 'music.flac');
    const asMusic = await server.admin.request<MediaView>('POST', '/api/media', form);
    expect(asMusic.status).toBe(201);
    expect(asMusic.body.content).toBe('music');
    expect(asMusic.body.sha256).not.toBe(asSpeech.body.sha256);
    const kbps = (m: MediaView) => (m.bytes * 8) / m.durationMs;
    expect(kbps(asSpeech.body)).toBeGreaterThan(24);
    expect(kbps(asSpeech.body)).toBeLessThan(40);
    expect(kbps(asMusic.body)).toBeGreaterThan(52);
    expect(kbps(asMusic.body)).toBeLessThan(76);
    expectNormalized(asMusic.body);
  });

  it('trims silence over half a second at the head and the tail', async () => {
    const padded = paddedSpeech(work, 3, 4);
    // The real silence at each end, by ffmpeg's silencedetect (espeak adds a little of its own).
    const { head, tail, duration } = silenceAtEnds(padded);
    expect(head).toBeGreaterThan(3);
    expect(tail).toBeGreaterThan(4);
    const res = await server.admin.upload<MediaView>(padded);
    expect(res.status).toBe(201);
    const m = res.body;
    expect(m.sourceDurationMs! / 1000).toBeCloseTo(duration, 1);
    // Half a second is kept at each end (estimated from 100 ms loudness steps: up to ~0.3 s more).
    const keptHead = head - m.trimmedStartMs! / 1000;
    const keptTail = tail - m.trimmedEndMs! / 1000;
    expect(keptHead).toBeGreaterThanOrEqual(0.45);
    expect(keptHead).toBeLessThanOrEqual(0.85);
    expect(keptTail).toBeGreaterThanOrEqual(0.45);
    expect(keptTail).toBeLessThanOrEqual(0.85);
    const out = streamInfo(stored(m.sha256)).duration;
    expect(out).toBeCloseTo(duration - head - tail + keptHead + keptTail, 1);
    expectNormalized(m);
  });

  it('keeps the original beside the media, byte for byte, and the same bytes twice make one media', async () => {
    const mp3 = convert(speech, join(work, 'twice.mp3'));
    const a = await server.admin.upload<MediaView>(mp3, 'thong-bao.mp3');
    const b = await server.admin.upload<MediaView>(mp3, 'thong-bao (1).mp3');
    expect(b.body.sha256).toBe(a.body.sha256);
    const original = join(server.dataDir, 'media', 'originals', await sha256File(mp3));
    expect(readFileSync(original).equals(readFileSync(mp3))).toBe(true);
    expect(readdirSync(join(server.dataDir, 'media', 'uploads'))).toEqual([]);
    expect(readdirSync(join(server.dataDir, 'media', 'tmp'))).toEqual([]);
  });

  it('produces the same bytes from the same input every time (bit-exact ffmpeg output)', async () => {
    const tools = findFfmpeg()!;
    const input = convert(speech, join(work, 'det.m4a'), ['-c:a', 'aac']);
    const recipe = { loudnessTarget: TARGET, truePeakCeiling: CEILING, content: 'speech' as const, kbps: 32 };
    const opts = { maxSeconds: 3600, declaredMs: undefined };
    const dirs = [mkdtempSync(join(tmpdir(), 'loa-det-')), mkdtempSync(join(tmpdir(), 'loa-det-'))];
    const [x, y] = await Promise.all(dirs.map((d) => normalizeToStore(tools, input, d, recipe, opts)));
    expect(x!.sha256).toBe(y!.sha256);
    expect(existsSync(join(dirs[1]!, `${x!.sha256}.ogg`))).toBe(true);
  });
});

describe('POST /api/media with a province’s own target (−20 LUFS, −3 dBTP)', () => {
  let server: TestServer;
  const work = mkdtempSync(join(tmpdir(), 'loa-ingest-target-'));
  beforeAll(async () => {
    server = await startServer({ MEDIA_LOUDNESS_LUFS: '-20', MEDIA_TRUE_PEAK_DBTP: '-3' });
  });
  afterAll(async () => server?.close());

  it('brings speech and a clipped recording to that target, under that ceiling', async () => {
    const speech = speechWav(work);
    const plain = await server.admin.upload<MediaView>(convert(speech, join(work, 'b.mp3'), ['-b:a', '96k']));
    const clipped = await server.admin.upload<MediaView>(
      convert(speech, join(work, 'loud.wav'), ['-af', 'volume=12dB']),
    );
    for (const res of [plain, clipped]) {
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expectNormalizedIn(server.dataDir, res.body, -20, -3);
    }
    // Not the default target: the same speech at −16 would be 4 LU louder.
    expect(plain.body.loudness.outputLufs!).toBeLessThan(-18.5);
  });
});
