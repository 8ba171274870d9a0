// What the bulletin form sends: the whole bulletin for POST /api/bulletins, or for PATCH
// /api/bulletins/:id (issue #3) only the fields the person changed — so an edit that changes
// nothing is said so here, and one that changes the title leaves the rest exactly as stored (a
// validity with seconds is not rounded to the minute the form shows).
import { fromLocalInput, toLocalInput } from '../../lib/local-time.js';
import type { Bulletin, Level, Relay } from '../../lib/types.js';

/** The form as read on save; validity as the `datetime-local` values in the commune's zone. */
export interface FormReading {
  title: string;
  text: string;
  level: Level;
  source: { mediaSha256: string } | { relay: Relay };
  targets: { commune: boolean; zoneIds: string[]; unitIds: string[] };
  recurrence: { days: number[]; windowIds?: string[]; pinnedTimes?: string[] };
  repeat: { count: number; gapSeconds: number };
  validFrom: string;
  validUntil: string;
  volume: number;
}

export type BulletinBody = Omit<FormReading, 'source' | 'text' | 'validFrom' | 'validUntil'> & {
  text?: string;
  mediaSha256?: string;
  relay?: Relay;
  validFrom: string;
  validUntil: string;
};

/** The instant of a `datetime-local` value as ISO 8601, or undefined when incomplete. */
function instant(value: string, timeZone: string): string | undefined {
  const ms = fromLocalInput(value, timeZone);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

/** The body of a new bulletin, or undefined when the validity is not complete. */
export function createBody(r: FormReading, timeZone: string): BulletinBody | undefined {
  const validFrom = instant(r.validFrom, timeZone);
  const validUntil = instant(r.validUntil, timeZone);
  if (validFrom === undefined || validUntil === undefined) return undefined;
  const { source, text, ...rest } = r;
  return { ...rest, ...(text ? { text } : {}), ...source, validFrom, validUntil };
}

const sorted = <T>(xs: readonly T[] | undefined): T[] => [...(xs ?? [])].sort();
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Targets as the server compares them: the whole commune or the lists, order aside. */
function targetsKey(t: { commune?: boolean; zoneIds?: string[]; unitIds?: string[] }) {
  return t.commune ? { commune: true } : { zoneIds: sorted(t.zoneIds), unitIds: sorted(t.unitIds) };
}

/** Recurrence order aside; no window chosen is the same as every window. */
function recurrenceKey(r: FormReading['recurrence']) {
  return {
    days: sorted(r.days),
    windowIds: r.pinnedTimes?.length ? [] : sorted(r.windowIds),
    pinnedTimes: sorted(r.pinnedTimes),
  };
}

/**
 * The PATCH body: only what differs from the stored bulletin (empty when nothing does), or
 * undefined when a changed validity is not complete.
 */
export function editPatch(stored: Bulletin, r: FormReading, timeZone: string): Partial<BulletinBody> | undefined {
  const patch: Partial<BulletinBody> = {};
  if (r.title !== stored.title) patch.title = r.title;
  // An emptied text is sent as '' (undefined would keep the stored one).
  if (r.text !== (stored.text ?? '')) patch.text = r.text;
  if (r.level !== stored.level) patch.level = r.level;
  if ('relay' in r.source) {
    if (!same(r.source.relay, stored.relay)) patch.relay = r.source.relay;
  } else if (r.source.mediaSha256 !== stored.mediaSha256 || stored.relay) patch.mediaSha256 = r.source.mediaSha256;
  if (!same(targetsKey(r.targets), targetsKey(stored.targets))) patch.targets = r.targets;
  if (!same(recurrenceKey(r.recurrence), recurrenceKey(stored.recurrence))) patch.recurrence = r.recurrence;
  if (!same(r.repeat, stored.repeat)) patch.repeat = r.repeat;
  for (const k of ['validFrom', 'validUntil'] as const) {
    if (r[k] === toLocalInput(Date.parse(stored[k]), timeZone)) continue;
    const value = instant(r[k], timeZone);
    if (value === undefined) return undefined;
    patch[k] = value;
  }
  if (r.volume !== stored.volume) patch.volume = r.volume;
  return patch;
}
