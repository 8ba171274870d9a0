import type { SinkSpec } from '../../config/config.js';
import { alsaSink } from './alsa-sink.js';
import { fileSink } from './file-sink.js';
import { nullSink } from './null-sink.js';
import type { Sink } from './sink.js';

export type { Sink, SinkMeta, SinkSession } from './sink.js';

export function createSink(spec: SinkSpec, ffmpeg: () => string | undefined, now: () => number): Sink {
  switch (spec.kind) {
    case 'null':
      return nullSink(now);
    case 'file':
      return fileSink(spec.dir, now);
    case 'alsa':
      return alsaSink(spec.device, ffmpeg, now);
  }
}
