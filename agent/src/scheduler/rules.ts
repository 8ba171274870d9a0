// What the agent decides on its own when an item comes due (DESIGN §5): it enforces rule 1 and
// rule 3 again, whatever the plan says, so one wrong entry on the server cannot wake a village.
import { findWindow, type PlanBody, type PlanItem, type PlanWindow } from '@loa/shared';

export type Decision = { kind: 'play' } | { kind: 'refused' | 'skipped'; reason: string };

/** A non-emergency item more than this late (a reboot, a long item before it) is not aired late. */
export const MAX_LATE_MS = 10 * 60_000;

/**
 * True when [startAt, startAt + durationMs] lies entirely inside one window. The same arithmetic
 * as the server's planner (shared `findWindow`), so both sides of rule 1 agree to the millisecond.
 */
export function insideWindows(startAt: number, durationMs: number, windows: readonly PlanWindow[]): boolean {
  return findWindow(windows, startAt, durationMs) !== undefined;
}

/**
 * Decides an item at `now` (at least its own instant). `cached` says whether its media is on disk.
 * Order matters: a rule-1 violation is reported as `refused` even when other reasons also hold.
 */
export function decide(
  item: PlanItem,
  plan: PlanBody,
  now: number,
  cached: boolean,
  maxLateMs = MAX_LATE_MS,
): Decision {
  const emergency = item.level === 'emergency';
  const duration = item.media.durationMs;
  // Rule 1 (Thông tư 39: emergency alone bypasses the windows).
  if (!emergency && !insideWindows(item.startAt, duration, plan.windows)) {
    return { kind: 'refused', reason: `outside every window: ${span(item.startAt, duration)} (${item.level})` };
  }
  if (plan.expiresAt <= now)
    return { kind: 'skipped', reason: `plan v${plan.version} expired at ${iso(plan.expiresAt)}` };
  // Rule 3: after valid-until no unit plays it, even one offline since before.
  // An item aired late must still end by then: it may not sound after valid-until at all.
  if (Math.max(now, item.startAt) + duration > item.validUntil)
    return {
      kind: 'skipped',
      reason: `valid until ${iso(item.validUntil)}, would end ${iso(Math.max(now, item.startAt) + duration)}`,
    };
  const late = now - item.startAt;
  if (!emergency && late > maxLateMs) {
    return { kind: 'skipped', reason: `missed its instant by ${Math.round(late / 1000)} s` };
  }
  if (!emergency && late > 0 && !insideWindows(now, duration, plan.windows)) {
    return { kind: 'skipped', reason: `late by ${Math.round(late / 1000)} s, would end outside its window` };
  }
  if (!cached) return { kind: 'skipped', reason: `media ${item.media.sha256.slice(0, 12)} not in cache` };
  return { kind: 'play' };
}

/** Order of airing: by instant; at the same instant an emergency first, then plan order. */
export function byInstant(a: { item: PlanItem; index: number }, b: { item: PlanItem; index: number }): number {
  return (
    a.item.startAt - b.item.startAt ||
    Number(b.item.level === 'emergency') - Number(a.item.level === 'emergency') ||
    a.index - b.index
  );
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function span(startAt: number, durationMs: number): string {
  return `${iso(startAt)}–${iso(startAt + durationMs)}`;
}
