// Ingest refuses to start without ffmpeg, saying what to install (the pipeline is normalize.ts,
// run by the jobs of ingest-queue.ts for media.service.ts).
import { HttpError } from '../http-error.js';
import { FFMPEG_MISSING, type FfmpegTools } from './ffmpeg.js';

export function ffmpegOrThrow(tools: FfmpegTools | undefined): FfmpegTools {
  if (!tools) throw new HttpError(503, 'ffmpeg-missing', FFMPEG_MISSING);
  return tools;
}
