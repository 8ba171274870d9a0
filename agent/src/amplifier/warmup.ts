// When the plan wants the amplifier on (rule 5): from `warmupMs` before the first item of a window
// that will actually play, through that window's items, off after its last one. A gap inside a
// window longer than `bridgeMs` counts as the window's end, so a window with one item at 05:00 and
// the next at 07:00 does not hum for two hours in between.
import { findWindow, type PlanItem, type PlanWindow } from '@loa/shared';

export interface WarmupInput {
  now: number;
  /** An item is sounding. */
  playing: boolean;
  /** The next plan item that will play, if any. */
  next: PlanItem | undefined;
  /** The last plan item that ended, and when. */
  last: { item: PlanItem; endedAt: number } | undefined;
  windows: readonly PlanWindow[];
  warmupMs: number;
  bridgeMs: number;
}

export type WarmupDecision = { on: true } | { on: false; recheckAt: number | undefined };

/** Gaps up to this long between two items of one window keep the amplifier on. */
export const DEFAULT_BRIDGE_MS = 60_000;
export const DEFAULT_WARMUP_MS = 3000;

export function amplifierWanted(i: WarmupInput): WarmupDecision {
  if (i.playing) return { on: true };
  if (!i.next) return { on: false, recheckAt: undefined };
  const warmAt = i.next.startAt - i.warmupMs;
  if (i.now >= warmAt) return { on: true };
  if (i.last && i.next.startAt - i.last.endedAt <= i.bridgeMs + i.warmupMs) {
    const a = windowOf(i.last.item, i.windows);
    const b = windowOf(i.next, i.windows);
    if (a && a === b) return { on: true };
  }
  return { on: false, recheckAt: warmAt };
}

function windowOf(item: PlanItem, windows: readonly PlanWindow[]): PlanWindow | undefined {
  return findWindow(windows, item.startAt, item.media.durationMs);
}
