// Which media a plan still needs on this board: those of items neither decided nor over, soonest
// first, so the first item's file is wanted (and the disk checked for it) before later ones.
import type { MediaRef, PlanBody } from '@loa/shared';

export function mediaNeeded(plan: PlanBody, now: number, decided: (itemId: string) => boolean): MediaRef[] {
  const needed = new Map<string, MediaRef>();
  for (const item of [...plan.items].sort((a, b) => a.startAt - b.startAt)) {
    if (decided(item.id) || item.validUntil <= now || item.startAt + item.media.durationMs <= now) continue;
    if (item.relay) continue; // pulled from its station at its instant (issue #8), nothing to fetch
    if (!needed.has(item.media.sha256)) needed.set(item.media.sha256, item.media);
  }
  return [...needed.values()];
}
