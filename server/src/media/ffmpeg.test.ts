import { describe, expect, it } from 'vitest';
import { FFMPEG_MISSING, findFfmpeg } from './ffmpeg.js';
import { ffmpegOrThrow } from './ingest.js';

describe('finding ffmpeg', () => {
  it('takes FFMPEG_PATH first', () => {
    expect(findFfmpeg({ FFMPEG_PATH: '/usr/bin/ffmpeg', PATH: '' })?.ffmpeg).toBe('/usr/bin/ffmpeg');
  });

  it('falls back to the PATH', () => {
    expect(findFfmpeg({ PATH: process.env.PATH, LOA_NO_FFMPEG_STATIC: '1' })?.ffmpeg).toBe('ffmpeg');
  });

  it('finds nothing when there is none, and ingest then says what to install', () => {
    expect(
      findFfmpeg({ FFMPEG_PATH: '/nonexistent/ffmpeg', PATH: '/nonexistent', LOA_NO_FFMPEG_STATIC: '1' }),
    ).toBeUndefined();
    expect(() => ffmpegOrThrow(undefined)).toThrow(FFMPEG_MISSING);
    expect(FFMPEG_MISSING).toMatch(/apt-get install ffmpeg/);
  });
});
