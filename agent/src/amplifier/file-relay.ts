// The test relay: each switch appends `{"on":true,"at":1767650400000}` to a JSON-lines file, so a
// test reads when the amplifier went on and off the way a technician would watch the relay LED.
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Relay } from './relay.js';

export interface RelaySwitch {
  on: boolean;
  at: number;
}

export function fileRelay(path: string, now: () => number = Date.now): Relay {
  return {
    name: `file:${path}`,
    async set(on) {
      await mkdir(dirname(path), { recursive: true });
      await appendFile(path, `${JSON.stringify({ on, at: now() } satisfies RelaySwitch)}\n`);
    },
    close: async () => undefined,
  };
}
