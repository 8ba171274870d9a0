// Discards PCM, but at the pace of a loudspeaker: the rest of the agent sees the same timing.
import type { Sink, SinkSession } from './sink.js';

export function nullSink(now: () => number = Date.now): Sink {
  return {
    name: 'null',
    leadMs: 0,
    async open(): Promise<SinkSession> {
      let startedAt: number | undefined;
      return {
        get startedAt() {
          return startedAt;
        },
        async write() {
          startedAt ??= now();
        },
        async close() {},
        async abort() {},
      };
    },
  };
}
