// The amplifier relay behind a small interface (STYLE.md: hardware behind drivers): GPIO through
// libgpiod's `gpioset` on a board, a state file with timestamps in tests (DESIGN §6).
import { fileRelay } from './file-relay.js';
import { gpioRelay } from './gpio-relay.js';

export interface Relay {
  readonly name: string;
  /** Drives the relay; resolves once the driver took the new state, rejects with the reason if not. */
  set(on: boolean): Promise<void>;
  /** Releases the hardware (the relay is set off first by the amplifier part). */
  close(): Promise<void>;
}

export type RelaySpec =
  { kind: 'none' } | { kind: 'file'; path: string } | { kind: 'gpio'; chip: string; line: number; activeLow: boolean };

export const RELAY_PATTERN = '^(none|file:.+|gpio:[A-Za-z0-9/_.-]+:\\d{1,4}(:active-low)?)$';

export function parseRelay(spec: string): RelaySpec {
  if (spec === 'none') return { kind: 'none' };
  if (spec.startsWith('file:')) return { kind: 'file', path: spec.slice('file:'.length) };
  const m = /^gpio:([A-Za-z0-9/_.-]+):(\d{1,4})(:active-low)?$/.exec(spec);
  if (m) return { kind: 'gpio', chip: m[1]!, line: Number(m[2]), activeLow: m[3] !== undefined };
  throw new Error(`unknown relay ${JSON.stringify(spec)}`);
}

/** No relay wired: the amplifier is assumed always powered (its state is still reported). */
export function noRelay(): Relay {
  return { name: 'none', set: async () => undefined, close: async () => undefined };
}

export interface RelayContext {
  dataDir: string;
  now: () => number;
  /** `gpioset` to run: GPIOSET_PATH or the one on PATH. */
  gpioset?: string;
}

export function createRelay(spec: RelaySpec, ctx: RelayContext): Relay {
  switch (spec.kind) {
    case 'none':
      return noRelay();
    case 'file':
      return fileRelay(spec.path, ctx.now);
    case 'gpio':
      return gpioRelay({ ...spec, gpioset: ctx.gpioset ?? 'gpioset', pidFile: `${ctx.dataDir}/relay.pid` });
  }
}
