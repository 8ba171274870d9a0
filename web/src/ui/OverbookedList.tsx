// Items the planner could not place, with the reason (DESIGN §5 rule 2: reported, never dropped silently).
import { t, type Key } from '../i18n/index.js';
import { href } from '../lib/router.js';
import type { OverbookedView, Unit } from '../lib/types.js';

export function reasonText(reason: string): string {
  const key = `overbooked.${reason}`;
  return key in REASONS ? t(key as Key) : reason;
}
const REASONS: Record<string, true> = {
  'overbooked.window-full': true,
  'overbooked.outside-window': true,
  'overbooked.no-window': true,
  'overbooked.pinned-conflict': true,
  'overbooked.not-valid': true,
  'overbooked.invalid': true,
};

/** The bulletin that did not fit, named by its title and linked to its page. */
export function OverbookedBulletin({ item }: { item: OverbookedView }) {
  return (
    <a href={href('bulletins', item.bulletinId)} class="overbooked-bulletin">
      {item.title ?? item.bulletinId}
    </a>
  );
}

export function OverbookedList({
  items,
  units,
  showDate = false,
}: {
  items: OverbookedView[];
  units: Map<string, Unit>;
  showDate?: boolean;
}) {
  // One line per bulletin occurrence and reason, listing the units it did not fit on.
  const groups = new Map<string, { item: OverbookedView; units: string[] }>();
  for (const o of items) {
    const key = `${o.date}|${o.bulletinId}|${o.occurrence}|${o.reason}`;
    const g = groups.get(key) ?? { item: o, units: [] };
    g.units.push(units.get(o.unitId)?.name ?? o.unitId);
    groups.set(key, g);
  }
  return (
    <section class="card warn" aria-labelledby="overbooked">
      <h3 id="overbooked">{t('overbooked.title', { n: groups.size })}</h3>
      <ul class="plain">
        {[...groups.values()].map(({ item, units: on }) => (
          <li key={`${item.date}${item.bulletinId}${item.occurrence}${item.reason}`}>
            {showDate && <span class="muted">{item.date} · </span>}
            <strong>{reasonText(item.reason)}</strong>: <OverbookedBulletin item={item} /> — {on.join(', ')}
            <br />
            <span class="detail" lang="en">
              {item.detail}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
