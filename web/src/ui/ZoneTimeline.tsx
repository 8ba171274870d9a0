// One day of one commune as a timeline per zone: each window a track with its items placed at
// their start instants, then the same items as a list (readable on a phone and by screen readers).
import { t } from '../i18n/index.js';
import { clock, duration } from '../lib/format.js';
import type { ZoneRow } from '../data/timeline.js';
import { itemEnd } from '../data/timeline.js';
import { LevelBadge } from './badges.js';

export function ZoneTimeline({ rows, timeZone, now }: { rows: ZoneRow[]; timeZone: string; now: number }) {
  if (rows.length === 0) return <p class="muted">{t('timeline.noUnits')}</p>;
  return (
    <div class="timeline">
      {rows.map((row) => (
        <section key={row.zoneId ?? '-'} class="tl-zone" aria-label={row.name}>
          <h3>
            {row.name} <small class="muted">{t('timeline.units', { n: row.unitIds.length })}</small>
          </h3>
          {row.windows.length === 0 && <p class="muted">{t('timeline.noWindows')}</p>}
          {row.windows.map((w) => {
            const items = row.items.filter((i) => i.startAt >= w.startAt && i.startAt < w.endAt);
            const span = w.endAt - w.startAt;
            const pct = (ms: number) => `${Math.max(0, Math.min(100, ((ms - w.startAt) / span) * 100))}%`;
            return (
              <div key={`${w.id}-${w.startAt}`} class="tl-window">
                <div class="tl-head">
                  <strong>
                    {clock(w.startAt, timeZone)}–{clock(w.endAt, timeZone)}
                  </strong>{' '}
                  <span class="muted">
                    {items.length === 0 ? t('timeline.empty') : t('timeline.items', { n: items.length })}
                  </span>
                </div>
                <div class="tl-track" aria-hidden="true">
                  {items.map((i) => (
                    <span
                      key={i.id}
                      class={`tl-item level-${i.level}`}
                      style={{ left: pct(i.startAt), width: `max(3px, calc(${pct(itemEnd(i))} - ${pct(i.startAt)}))` }}
                      title={`${clock(i.startAt, timeZone)} ${i.title ?? i.bulletinId}`}
                    />
                  ))}
                  {now >= w.startAt && now < w.endAt && <span class="tl-now" style={{ left: pct(now) }} />}
                </div>
                {items.length > 0 && (
                  <ol class="tl-list">
                    {items.map((i) => {
                      const playing = i.startAt <= now && now < itemEnd(i);
                      return (
                        <li key={i.id} class={playing ? 'playing' : ''}>
                          <time>{clock(i.startAt, timeZone, true)}</time>{' '}
                          <span class="title">{i.title ?? i.bulletinId}</span> <LevelBadge level={i.level} />{' '}
                          <span class="muted">{duration(i.media.durationMs)}</span>
                          {playing && <strong class="badge ok"> {t('timeline.playing')}</strong>}
                        </li>
                      );
                    })}
                  </ol>
                )}
              </div>
            );
          })}
        </section>
      ))}
    </div>
  );
}
