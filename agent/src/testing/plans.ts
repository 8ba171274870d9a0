// Plan bodies for tests: one window around now by default, items built from media refs.
import type { MediaRef, PlanBody, PlanItem } from '@loa/shared';

export function item(id: string, media: MediaRef, startAt: number, extra: Partial<PlanItem> = {}): PlanItem {
  return {
    id,
    bulletinId: `b-${id}`,
    level: 'ordinary',
    media,
    startAt,
    validUntil: startAt + 3600_000,
    volume: 100,
    ...extra,
  };
}

export function plan(unit: string, version: number, items: PlanItem[], extra: Partial<PlanBody> = {}): PlanBody {
  const now = Date.now();
  return {
    unit,
    version,
    issuedAt: now,
    expiresAt: now + 24 * 3600_000,
    windows: [{ startAt: now - 3600_000, endAt: now + 3600_000 }],
    items,
    ...extra,
  };
}
