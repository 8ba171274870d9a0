// The week as a table: a row per zone, a column per day, each cell the windows of that day with
// the items planned in them. A phone gets the same week as a list of days (CSS picks one).
import { t } from '../../i18n/index.js';
import { clock, day } from '../../lib/format.js';
import type { ZoneRow } from '../../data/timeline.js';
import type { CommuneTimeline } from '../../lib/types.js';

export function WeekTable({
  days,
  rowsPerDay,
  timeZone,
  today,
}: {
  days: CommuneTimeline[];
  rowsPerDay: ZoneRow[][];
  timeZone: string;
  today: string;
}) {
  const first = rowsPerDay[0] ?? [];
  if (first.length === 0) return <p class="muted">{t('timeline.noUnits')}</p>;
  return (
    <>
      <WeekList days={days} rowsPerDay={rowsPerDay} timeZone={timeZone} today={today} />
      <WeekGrid days={days} rowsPerDay={rowsPerDay} timeZone={timeZone} today={today} />
    </>
  );
}

type WeekProps = { days: CommuneTimeline[]; rowsPerDay: ZoneRow[][]; timeZone: string; today: string };

function Items({ row, timeZone }: { row: ZoneRow | undefined; timeZone: string }) {
  return (
    <>
      {row?.windows.map((w) => {
        const items = row.items.filter((i) => i.startAt >= w.startAt && i.startAt < w.endAt);
        return (
          <div key={`${w.id}-${w.startAt}`} class="wk-window">
            <div class="muted">
              {clock(w.startAt, timeZone)}–{clock(w.endAt, timeZone)}
            </div>
            <ul class="plain">
              {items.map((i) => (
                <li key={i.id} class={`wk-item level-${i.level}`}>
                  {clock(i.startAt, timeZone)} {i.title ?? i.bulletinId}
                </li>
              ))}
            </ul>
          </div>
        );
      })}
    </>
  );
}

function WeekList({ days, rowsPerDay, timeZone, today }: WeekProps) {
  return (
    <div class="week-list">
      {days.map((d, i) => (
        <section key={d.date} class={`card ${d.date === today ? 'today' : ''}`} aria-label={d.date}>
          <h3>{day(Date.parse(`${d.date}T12:00:00Z`), 'UTC')}</h3>
          {(rowsPerDay[i] ?? []).map((row) => (
            <div key={row.zoneId ?? '-'} class="wk-zone">
              <strong>{row.name}</strong>
              <Items row={row} timeZone={timeZone} />
            </div>
          ))}
        </section>
      ))}
    </div>
  );
}

function WeekGrid({ days, rowsPerDay, timeZone, today }: WeekProps) {
  const first = rowsPerDay[0] ?? [];
  return (
    <div class="table-wrap week">
      <table class="week-table">
        <caption class="sr-only">{t('schedule.caption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('nav.zones')}</th>
            {days.map((d) => (
              <th scope="col" key={d.date} class={d.date === today ? 'today' : ''}>
                {day(Date.parse(`${d.date}T12:00:00Z`), 'UTC')}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {first.map((row, r) => (
            <tr key={row.zoneId ?? '-'}>
              <th scope="row">{row.name}</th>
              {rowsPerDay.map((rows, d) => {
                const cell = rows[r];
                const date = days[d]!.date;
                const over = days[d]!.overbooked.filter((o) => cell?.unitIds.includes(o.unitId));
                return (
                  <td key={date} class={date === today ? 'today' : ''}>
                    <Items row={cell} timeZone={timeZone} />
                    {over.length > 0 && (
                      <div class="badge warn">
                        ⚠{' '}
                        {t('schedule.overbookedCount', {
                          n: new Set(over.map((o) => `${o.bulletinId}#${o.occurrence}`)).size,
                        })}
                      </div>
                    )}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
