// Ingest of an upload or a text to speak (issue #6): the file is received under a random name,
// checked (size, emptiness, format, length) before it is queued, then normalized by an ingest job.
// Nothing is stored unless every step succeeds; the original is kept beside the media it became.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { MediaConfig } from '../config.js';
import type { Db } from '../db/database.js';
import { HttpError } from '../http-error.js';
import type { Hub } from '../hub.js';
import type { FfmpegTools } from './ffmpeg.js';
import { ffmpegOrThrow } from './ingest.js';
import { IngestQueue, type JobContext } from './ingest-queue.js';
import { jobsRepo, type JobRow } from './jobs.repo.js';
import { mediaRepo, toMediaView } from './media.repo.js';
import { normalizeToStore, recipeKey, sha256File, type Content, type Recipe } from './normalize.js';
import { probe } from './probe.js';
import { mediaRetention } from './retention.js';
import type { TtsService } from './tts/tts.service.js';

export interface MediaDeps {
  db: Db;
  mediaDir: string;
  tools: FfmpegTools | undefined;
  config: MediaConfig;
  hub: Hub;
  log: FastifyBaseLogger;
  tts: TtsService;
}

export function mediaService({ db, mediaDir, tools, config, hub, log, tts }: MediaDeps) {
  const repo = mediaRepo(db);
  const jobs = jobsRepo(db);
  const uploads = join(mediaDir, 'uploads');
  const originals = join(mediaDir, 'originals');
  const retention = mediaRetention(db, mediaDir, log);

  const recipeFor = (content: string): Recipe => ({
    loudnessTarget: config.loudnessTarget,
    truePeakCeiling: config.truePeakCeiling,
    content: content === 'music' ? 'music' : 'speech',
    kbps: content === 'music' ? config.musicKbps : config.speechKbps,
  });

  async function keepOriginal(path: string, sha: string) {
    const dest = join(originals, sha);
    if (existsSync(dest)) await rm(path, { force: true });
    else await rename(path, dest);
  }

  /** Reads a TTS job's text aloud into uploads/, where it then goes like an uploaded original. */
  async function speak(row: JobRow, signal: AbortSignal): Promise<JobRow> {
    const token = randomBytes(12).toString('hex');
    const out = join(uploads, token);
    try {
      await tts.synthesize(row.tts_text ?? '', row.tts_voice ?? '', out, signal);
      const probed = await probe(ffmpegOrThrow(tools), out, config.maxDurationSeconds).catch((err: unknown) => {
        if (!(err instanceof HttpError) || err.statusCode === 413) throw err;
        throw new HttpError(502, 'tts-failed', `The text-to-speech voice sent back no usable audio (${err.message})`);
      });
      jobs.setOriginal(row.id, token, await sha256File(out), (await stat(out)).size, probed.format);
      return jobs.get(row.id)!;
    } catch (err) {
      await rm(out, { force: true });
      throw err;
    }
  }

  async function work(job: JobRow, ctx: JobContext): Promise<string> {
    const ff = ffmpegOrThrow(tools);
    let row = job;
    let scale = (p: number) => p;
    if (row.kind === 'tts' && !row.original_sha256) {
      row = await speak(row, ctx.signal);
      ctx.progress(10);
      scale = (p) => 10 + p * 0.9;
    }
    const path = join(uploads, row.upload ?? '');
    if (!row.upload || !existsSync(path))
      throw new HttpError(
        410,
        'upload-lost',
        'The uploaded file was lost while the server restarted. Upload it again.',
      );
    const recipe = recipeFor(row.content);
    // Content addressing: the same bytes through the same settings are the media made last time.
    const known = repo.byOriginal(row.original_sha256!, recipeKey(recipe));
    if (known && existsSync(join(mediaDir, `${known.sha256}.ogg`))) {
      repo.touch(known.sha256);
      await keepOriginal(path, row.original_sha256!);
      return known.sha256;
    }
    const probed = await probe(ff, path, config.maxDurationSeconds);
    const result = await normalizeToStore(ff, path, mediaDir, recipe, {
      maxSeconds: config.maxDurationSeconds,
      declaredMs: probed.durationMs,
      signal: ctx.signal,
      onProgress: (p) => ctx.progress(scale(p)),
    });
    await keepOriginal(path, row.original_sha256!);
    const { input, output } = result;
    repo.insert({
      sha256: result.sha256,
      bytes: result.bytes,
      duration_ms: result.durationMs,
      codec: 'opus',
      original_name: row.original_name,
      original_sha256: row.original_sha256!,
      original_bytes: row.original_bytes ?? 0,
      original_format: row.original_format,
      created_at: Date.now(),
      created_by: row.created_by,
      content: recipe.content,
      source: row.kind,
      recipe: recipeKey(recipe),
      input_lufs: input.integratedLufs,
      input_lra: input.lra,
      input_peak_dbfs: Number.isFinite(input.peakDb) ? input.peakDb : null,
      output_lufs: output.integratedLufs,
      output_true_peak_dbtp: Number.isFinite(output.peakDb) ? output.peakDb : null,
      gain_db: result.gainDb,
      source_duration_ms: Math.round(input.decodedSeconds * 1000),
      trimmed_start_ms: Math.round(input.keepFrom * 1000),
      trimmed_end_ms: Math.round((input.decodedSeconds - input.keepTo) * 1000),
      tts_text: row.tts_text,
      tts_voice: row.tts_voice,
    });
    repo.touch(result.sha256);
    const stored = {
      sha256: result.sha256,
      jobId: row.id,
      inLufs: input.integratedLufs,
      outLufs: output.integratedLufs,
      encodes: result.encodes,
    };
    if (result.warnings.length)
      log.warn({ ...stored, warnings: result.warnings.map((w) => w.code) }, 'media: stored, short of its recipe');
    else log.info(stored, 'media: stored');
    return result.sha256;
  }

  const queue = new IngestQueue({
    concurrency: config.ingestConcurrency,
    repo: jobs,
    work,
    hub,
    log,
    cleanup: async (job) => {
      if (job.upload) await rm(join(uploads, job.upload), { force: true });
    },
  });

  /** Streams an upload to a random name while hashing it; refuses what is too large or empty. */
  async function receive(file: Readable & { truncated?: boolean }) {
    await mkdir(uploads, { recursive: true });
    await mkdir(originals, { recursive: true });
    const token = randomBytes(12).toString('hex');
    const path = join(uploads, token);
    try {
      const hash = createHash('sha256');
      const tap = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      });
      await pipeline(file, tap, createWriteStream(path, { mode: 0o640 }));
      if (file.truncated)
        throw new HttpError(
          413,
          'upload-too-large',
          'The file is larger than the server accepts. Shorten or compress the recording and upload it again.',
        );
      const bytes = (await stat(path)).size;
      if (bytes === 0)
        throw new HttpError(422, 'empty-file', 'The file is empty. Choose the recording again and upload it.');
      const probed = await probe(ffmpegOrThrow(tools), path, config.maxDurationSeconds);
      return { token, sha: hash.digest('hex'), bytes, format: probed.format };
    } catch (err) {
      await rm(path, { force: true });
      throw err;
    }
  }

  function newJob(fields: Partial<JobRow> & Pick<JobRow, 'kind' | 'content' | 'created_by'>): JobRow {
    const row = {
      id: randomUUID(),
      upload: null,
      original_name: null,
      original_sha256: null,
      original_bytes: null,
      original_format: null,
      tts_text: null,
      tts_voice: null,
      created_at: Date.now(),
      ...fields,
    };
    jobs.insert(row);
    const inserted = jobs.get(row.id)!;
    queue.enqueue(inserted);
    return inserted;
  }

  function view(sha256: string) {
    const row = repo.get(sha256);
    if (!row) throw new HttpError(404, 'media-not-found', `There is no media ${sha256}.`);
    return toMediaView(row);
  }

  return {
    get: view,
    list: (limit = 100) => repo.list(limit).map(toMediaView),
    /** Where the original of a media is kept (by its own hash), and the name it came with. */
    original(sha256: string) {
      const row = repo.get(sha256);
      if (!row) throw new HttpError(404, 'media-not-found', `There is no media ${sha256}.`);
      return { originalSha256: row.original_sha256, originalName: row.original_name };
    },
    sizeOf: (sha256: string) => repo.sizeOf(sha256),
    /** Counts as a use for the retention sweep (an emergency about to send it). */
    markUsed: (sha256: string) => void repo.touch(sha256),
    queueStats: () => queue.stats,

    /** `name` is the uploaded file name: kept for people to read, never used as a path. */
    async submit(
      file: Readable & { truncated?: boolean },
      name: string | undefined,
      userId: number | null,
      opts: { content?: Content } = {},
    ): Promise<JobRow> {
      const got = await receive(file);
      return newJob({
        kind: 'upload',
        content: opts.content ?? 'speech',
        created_by: userId,
        upload: got.token,
        original_name: name ? name.slice(0, 255) : null,
        original_sha256: got.sha,
        original_bytes: got.bytes,
        original_format: got.format,
      });
    },
    submitTts(text: string, voice: string | undefined, userId: number | null, opts: { content?: Content } = {}) {
      ffmpegOrThrow(tools);
      const checked = tts.check(text, voice);
      return newJob({
        kind: 'tts',
        content: opts.content ?? 'speech',
        created_by: userId,
        tts_text: checked.text,
        tts_voice: checked.voice,
        original_name: `${checked.voice}.wav`,
      });
    },
    /** Waits for a job and answers with its media, or throws its error (the synchronous API). */
    async finished(job: JobRow) {
      const done = await queue.wait(job.id);
      return view(done.media_sha256!);
    },
    async ingest(
      file: Readable & { truncated?: boolean },
      name: string | undefined,
      userId: number | null,
      opts: { content?: Content } = {},
    ) {
      return this.finished(await this.submit(file, name, userId, opts));
    },
    job(id: string) {
      const row = jobs.get(id);
      if (!row) throw new HttpError(404, 'job-not-found', `There is no ingest job ${id}.`);
      return toJobView(row, queue.livePercent(id), row.media_sha256 ? repo.get(row.media_sha256) : undefined);
    },
    jobs: (limit = 50) => jobs.list(limit).map((r) => toJobView(r, queue.livePercent(r.id), undefined)),
    /** Makes the store's folders and runs again the jobs a previous process left unfinished. */
    start() {
      for (const dir of [uploads, originals, join(mediaDir, 'tmp')]) mkdirSync(dir, { recursive: true });
      return queue.recover();
    },
    close: () => queue.close(),
    /** Deletes media nobody has used for the retention period (and stale temporary files). */
    sweep: (now = Date.now()) => retention.sweep(now, config.retentionDays, jobs.uploadsInUse()),
  };
}
export type MediaService = ReturnType<typeof mediaService>;

function toJobView(row: JobRow, livePercent: number | undefined, media: Parameters<typeof toMediaView>[0] | undefined) {
  return {
    id: row.id,
    kind: row.kind,
    state: row.state,
    percent: row.state === 'done' ? 100 : (livePercent ?? row.percent),
    originalName: row.original_name,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    ...(media ? { media: toMediaView(media) } : {}),
    ...(row.state === 'failed'
      ? { error: row.error_message ?? 'failed', errorCode: row.error_code ?? 'ingest-failed' }
      : {}),
  };
}
