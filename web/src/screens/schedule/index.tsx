// Lịch phát: the week per zone (windows and the items in them), what did not fit and why, and —
// for those who manage the schedule — the commune's windows and quiet hours.
import { useEffect, useState } from 'preact/hooks';
import { addDays, toZoned, weekdayOf } from '@loa/shared';
import { t } from '../../i18n/index.js';
import { api, query, type ApiError } from '../../lib/api.js';
import { setParam } from '../../lib/router.js';
import { can } from '../../lib/session.js';
import { useApi, useLiveReload } from '../../lib/use-api.js';
import { useCommune } from '../../data/communes.js';
import { useUnits } from '../../data/units.js';
import { rowsByZone } from '../../data/timeline.js';
import type { CommuneTimeline, Zone } from '../../lib/types.js';
import type { ScreenProps } from '../../routes.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { OverbookedList } from '../../ui/OverbookedList.js';
import { WeekTable } from './WeekTable.js';
import { WindowsEditor } from './WindowsEditor.js';
import { QuietHoursEditor } from './QuietHoursEditor.js';

/** The Monday of the week holding `date` (weeks start on Monday in Vietnam). */
export function mondayOf(date: string): string {
  return addDays(date, -((weekdayOf(date) + 6) % 7));
}

function useWeek(communeId: string | undefined, monday: string) {
  const [state, setState] = useState<{ days?: CommuneTimeline[]; error?: ApiError; key: string }>({ key: '' });
  const [tick, setTick] = useState(0);
  const key = `${communeId}|${monday}`;
  useEffect(() => {
    if (!communeId) return;
    let current = true;
    const dates = Array.from({ length: 7 }, (_, i) => addDays(monday, i));
    Promise.all(
      dates.map((d) => api.get<CommuneTimeline>(`/api/communes/${communeId}/timeline${query({ date: d })}`)),
    ).then(
      (days) => current && setState({ days, key }),
      (error: ApiError) => current && setState({ error, key }),
    );
    return () => void (current = false);
  }, [key, tick]);
  const same = state.key === key;
  return {
    days: same ? state.days : undefined,
    error: same ? state.error : undefined,
    reload: () => setTick((n) => n + 1),
  };
}

export default function ScheduleScreen({ params }: ScreenProps) {
  const commune = useCommune();
  const { byId } = useUnits();
  const tz = commune?.timeZone ?? 'Asia/Ho_Chi_Minh';
  const today = toZoned(Date.now(), tz).date;
  const asked = params.get('week');
  const monday = mondayOf(asked && /^\d{4}-\d{2}-\d{2}$/.test(asked) ? asked : today);
  const week = useWeek(commune?.id, monday);
  const zones = useApi<{ zones: Zone[] }>(commune ? `/api/zones${query({ communeId: commune.id })}` : null);
  useLiveReload(['plan-published'], week.reload);
  if (!commune) return <p class="muted">{t('app.loading')}</p>;

  const units = new Map([...byId.values()].filter((u) => u.communeId === commune.id).map((u) => [u.id, u]));
  const rowsPerDay = (week.days ?? []).map((d) => rowsByZone(d, zones.data?.zones ?? [], t('timeline.outsideZones')));
  const overbooked = (week.days ?? []).flatMap((d) => d.overbooked);
  return (
    <div class="stack">
      <h1>{t('nav.schedule')}</h1>
      <nav class="row" aria-label={t('schedule.weekNav')}>
        <button type="button" onClick={() => setParam('week', addDays(monday, -7))}>
          ‹ {t('schedule.prevWeek')}
        </button>
        <strong aria-live="polite">{t('schedule.weekOf', { from: monday, to: addDays(monday, 6) })}</strong>
        <button type="button" onClick={() => setParam('week', addDays(monday, 7))}>
          {t('schedule.nextWeek')} ›
        </button>
        {monday !== mondayOf(today) && (
          <button type="button" onClick={() => setParam('week', null)}>
            {t('schedule.thisWeek')}
          </button>
        )}
      </nav>
      <ErrorNote error={week.error ?? zones.error} />
      {week.days && <WeekTable days={week.days} rowsPerDay={rowsPerDay} timeZone={tz} today={today} />}
      {overbooked.length > 0 && <OverbookedList items={overbooked} units={units} showDate />}
      {week.days && overbooked.length === 0 && <p class="muted">{t('overbooked.none')}</p>}
      <WindowsEditor commune={commune} editable={can('schedule:manage')} onSaved={week.reload} />
      <QuietHoursEditor commune={commune} editable={can('schedule:manage')} onSaved={week.reload} />
    </div>
  );
}
