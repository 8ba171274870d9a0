// Nhật ký phát — báo cáo (issue #9): what a commune reports upward every month. Planned against
// aired (count and minutes) by day, month, unit, zone or bulletin; what did not air and why; the
// units that missed a window. The CSV (UTF-8 with a BOM, for Excel) and the printable page are the
// server's own (`format=csv|html`), so what is downloaded is exactly what is shown here.
import { toZoned } from '@loa/shared';
import { locale, t, tOr, useLanguage } from '../../i18n/index.js';
import { query } from '../../lib/api.js';
import { setParam } from '../../lib/router.js';
import { useApi, useLiveReload } from '../../lib/use-api.js';
import { selectCommune, useCommune, useCommunes } from '../../data/communes.js';
import type { ScreenProps } from '../../routes.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { MissedWindows, type MissedWindow } from './MissedWindows.js';
import './reports.css';

export type GroupBy = 'day' | 'month' | 'unit' | 'zone' | 'bulletin';
const GROUPS: readonly GroupBy[] = ['day', 'month', 'unit', 'zone', 'bulletin'];

export interface ReportRow {
  key: string;
  label: string;
  plannedCount: number;
  plannedMinutes: number;
  airedCount: number;
  airedMinutes: number;
  failedCount: number;
  skippedCount: number;
  refusedCount: number;
  reasons: Record<string, number>;
  missedUnits: string[];
  /** Each window instance a unit missed (server/src/reports): what the last column names. */
  missedWindows: MissedWindow[];
}
interface Report {
  commune: { id: string; name: string; timeZone: string };
  from: number;
  to: number;
  groupBy: GroupBy;
  rows: ReportRow[];
}

/** "failed: ALSA device busy" → "Lỗi: ALSA device busy"; "no report" → words. */
export function reasonLabel(reason: string): string {
  if (reason === 'no report') return t('report.noReport');
  const i = reason.indexOf(': ');
  const outcome = i < 0 ? reason : reason.slice(0, i);
  const rest = i < 0 ? '' : reason.slice(i);
  return tOr(`outcome.${outcome}`, outcome) + rest;
}

const num = (n: number) => (Math.round(n * 10) / 10).toLocaleString(locale());

function Figures({ count, minutes }: { count: number; minutes: number }) {
  return (
    <>
      {t('report.times', { n: count })}
      <span class="muted"> · {t('report.minutes', { n: num(minutes) })}</span>
    </>
  );
}

function ReportTable({ report }: { report: Report }) {
  const rows = report.rows;
  if (rows.length === 0) return <p class="muted">{t('report.empty')}</p>;
  const sum = (f: (r: ReportRow) => number) => rows.reduce((a, r) => a + f(r), 0);
  const total = {
    planned: sum((r) => r.plannedCount),
    aired: sum((r) => r.airedCount),
    plannedMin: num(sum((r) => r.plannedMinutes)),
    airedMin: num(sum((r) => r.airedMinutes)),
  };
  // A zone row counts an item once per zone of its unit, so a total over zones would double-count.
  const showTotal = report.groupBy !== 'zone';
  const label = (r: ReportRow) => (report.groupBy === 'zone' && r.key === '-' ? t('report.noZone') : r.label);
  return (
    <>
      {showTotal && (
        <p role="status" data-testid="report-summary">
          {t('report.summary', total)}
        </p>
      )}
      <div class="table-wrap">
        <table class="list report" data-testid="report-table">
          <thead>
            <tr>
              <th scope="col">{t(`report.group.${report.groupBy}`)}</th>
              <th scope="col">{t('report.planned')}</th>
              <th scope="col">{t('report.aired')}</th>
              <th scope="col">{t('report.notAired')}</th>
              <th scope="col">{t('report.reasons')}</th>
              <th scope="col">{t('report.missed')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => {
              const missing = r.plannedCount - r.airedCount;
              return (
                <tr key={r.key} data-group={r.key} class={missing > 0 ? 'short' : ''}>
                  <th scope="row">{label(r)}</th>
                  <td data-label={t('report.planned')}>
                    <Figures count={r.plannedCount} minutes={r.plannedMinutes} />
                  </td>
                  <td data-label={t('report.aired')}>
                    <Figures count={r.airedCount} minutes={r.airedMinutes} />
                  </td>
                  <td data-label={t('report.notAired')} class={missing > 0 ? 'warn-text' : ''}>
                    {missing > 0 ? t('report.times', { n: missing }) : '—'}
                  </td>
                  <td data-label={t('report.reasons')}>
                    {Object.keys(r.reasons).length === 0 ? (
                      '—'
                    ) : (
                      <ul class="plain">
                        {Object.entries(r.reasons).map(([why, n]) => (
                          <li key={why}>
                            {reasonLabel(why)} <span class="muted">×{n}</span>
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td data-label={t('report.missed')}>
                    <MissedWindows missed={r.missedWindows} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}

export default function ReportsScreen({ params }: ScreenProps) {
  useLanguage();
  const commune = useCommune();
  const { list } = useCommunes();
  if (!commune) return <p class="muted">{t('app.loading')}</p>;
  const today = toZoned(Date.now(), commune.timeZone).date;
  const period = params.get('period') === 'day' ? 'day' : 'month';
  const month = /^\d{4}-\d{2}$/.test(params.get('month') ?? '') ? params.get('month')! : today.slice(0, 7);
  const dayParam = /^\d{4}-\d{2}-\d{2}$/.test(params.get('day') ?? '') ? params.get('day')! : today;
  const groupBy = (GROUPS as readonly string[]).includes(params.get('groupBy') ?? '')
    ? (params.get('groupBy') as GroupBy)
    : period === 'day'
      ? 'unit'
      : 'day';
  const q = {
    communeId: commune.id,
    ...(period === 'month' ? { month } : { day: dayParam }),
    groupBy,
  };
  const path = `/api/reports/as-run${query(q)}`;
  return (
    <ReportView
      path={path}
      q={q}
      list={list}
      communeId={commune.id}
      period={period}
      month={month}
      day={dayParam}
      groupBy={groupBy}
    />
  );
}

function ReportView(p: {
  path: string;
  q: Record<string, string>;
  list: Array<{ id: string; name: string }>;
  communeId: string;
  period: 'month' | 'day';
  month: string;
  day: string;
  groupBy: GroupBy;
}) {
  const report = useApi<{ reports: Report[] }>(p.path);
  // New play-log rows arrive as the units report them; the open report follows.
  useLiveReload(['events-stored', 'plan-published'], report.reload);
  const data = report.data?.reports[0];
  return (
    <div class="stack">
      <h1>{t('report.title')}</h1>
      <form class="filters row" onSubmit={(e) => e.preventDefault()}>
        {p.list.length > 1 && (
          <label>
            <span>{t('report.commune')}</span>
            <select
              aria-label={t('report.commune')}
              value={p.communeId}
              onChange={(e) => selectCommune((e.target as HTMLSelectElement).value)}
            >
              {p.list.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          <span>{t('report.period')}</span>
          <select
            aria-label={t('report.period')}
            value={p.period}
            onChange={(e) => {
              const next = (e.target as HTMLSelectElement).value;
              setParam('period', next);
              // Grouping one day by day says nothing: start a day's report by unit.
              if (next === 'day' && (p.groupBy === 'day' || p.groupBy === 'month')) setParam('groupBy', 'unit');
            }}
          >
            <option value="month">{t('report.byMonth')}</option>
            <option value="day">{t('report.byDay')}</option>
          </select>
        </label>
        {p.period === 'month' ? (
          <label>
            <span>{t('report.month')}</span>
            <input
              type="month"
              aria-label={t('report.month')}
              value={p.month}
              required
              onChange={(e) => {
                const v = (e.target as HTMLInputElement).value;
                if (v) setParam('month', v);
              }}
            />
          </label>
        ) : (
          <label>
            <span>{t('report.day')}</span>
            <input
              type="date"
              aria-label={t('report.day')}
              value={p.day}
              required
              onChange={(e) => {
                const v = (e.target as HTMLInputElement).value;
                if (v) setParam('day', v);
              }}
            />
          </label>
        )}
        <label>
          <span>{t('report.groupBy')}</span>
          <select
            aria-label={t('report.groupBy')}
            value={p.groupBy}
            onChange={(e) => setParam('groupBy', (e.target as HTMLSelectElement).value)}
          >
            {GROUPS.map((g) => (
              <option key={g} value={g}>
                {t(`report.group.${g}`)}
              </option>
            ))}
          </select>
        </label>
      </form>
      <p class="row">
        <a class="button" href={`/api/reports/as-run${query({ ...p.q, format: 'csv' })}`} download>
          ⬇ {t('report.csv')}
        </a>
        <a
          class="button"
          href={`/api/reports/as-run${query({ ...p.q, format: 'html' })}`}
          target="_blank"
          rel="noopener"
        >
          {t('report.print')}
        </a>
      </p>
      <ErrorNote error={report.error} />
      {report.loading && !data && <p class="muted">{t('app.loading')}</p>}
      {data && (
        <section aria-label={t('report.title')} class="stack">
          <ReportTable report={data} />
        </section>
      )}
    </div>
  );
}
