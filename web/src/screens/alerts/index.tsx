// Cảnh báo (issue #9): what the technician acts on. The alerts raised now (kept live by the socket's
// `alert` events), their history filtered by unit and kind, and the commune's thresholds and
// webhook — editable with `alerts:manage`, read-only for everyone else. With that permission an
// alert raised now can be cleared by hand (a fault fixed on site that no good sign will clear).
import { t, tOr, useLanguage } from '../../i18n/index.js';
import { api, query } from '../../lib/api.js';
import { dateTime } from '../../lib/format.js';
import { href, setParam } from '../../lib/router.js';
import { can, me } from '../../lib/session.js';
import { useApi, useLiveReload } from '../../lib/use-api.js';
import { useCommune } from '../../data/communes.js';
import { useUnits } from '../../data/units.js';
import type { Alert, Commune, Unit } from '../../lib/types.js';
import type { ScreenProps } from '../../routes.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { useAction } from '../../ui/use-action.js';
import { AlertSettingsCard } from './AlertSettings.js';

/** The kinds the server's rules raise (server/src/alerts), offered in the filter even before one happened. */
const KINDS = [
  'offline',
  'playback-failed',
  'relay-failed',
  'amplifier-fault',
  'low-disk',
  'temperature',
  'clock-offset',
  'under-voltage',
];

/** Who may clear this alert by hand: `alerts:manage`, and for the server's own alerts an account over every commune. */
function clearable(a: Alert): boolean {
  return a.state === 'raised' && can('alerts:manage') && (a.unitId !== null || me()?.communeIds === null);
}

/** "Đã xử lý": POST /api/alerts/:id/clear; the live `alert` event then moves it to the history. */
function ClearButton({ a, onCleared }: { a: Alert; onCleared: () => void }) {
  const { busy, error, run } = useAction();
  const clear = () =>
    void run(async () => {
      await api.post(`/api/alerts/${encodeURIComponent(String(a.id))}/clear`);
      onCleared();
    });
  return (
    <>
      <button type="button" disabled={busy} onClick={clear} aria-describedby={`alert-${a.id}-what`}>
        ✓ {t('alerts.clear')}
      </button>
      <ErrorNote error={error} />
    </>
  );
}

function AlertLine({
  a,
  units,
  tz,
  onCleared,
}: {
  a: Alert;
  units: Map<string, Unit>;
  tz: string;
  onCleared?: () => void;
}) {
  const unit = a.unitId ? units.get(a.unitId) : undefined;
  const clearedBy = typeof a.detail?.clearedBy === 'string' ? a.detail.clearedBy : null;
  return (
    <li class="alert-line" data-alert={a.id}>
      <span class={`badge ${a.state === 'raised' ? 'bad' : ''}`}>{t(`alert.${a.state}`)}</span>{' '}
      <strong id={`alert-${a.id}-what`}>{tOr(`alert.kind.${a.kind}`, a.kind)}</strong>
      {' · '}
      {a.unitId ? <a href={href('units', a.unitId)}>{unit?.name ?? a.unitId}</a> : t('alerts.server')}
      <br />
      <span class="detail" lang="en">
        {a.message}
      </span>
      <br />
      <span class="muted">
        {t('alerts.raisedAt')}: {dateTime(a.raisedAt, tz)}
        {a.clearedAt !== null && ` · ${t('alerts.clearedAt')}: ${dateTime(a.clearedAt, tz)}`}
        {clearedBy !== null && ` · ${t('alerts.clearedBy', { user: clearedBy })}`}
      </span>
      {onCleared && clearable(a) && (
        <div>
          <ClearButton a={a} onCleared={onCleared} />
        </div>
      )}
    </li>
  );
}

function Raised({ commune, units }: { commune: Commune; units: Map<string, Unit> }) {
  const raised = useApi<{ alerts: Alert[] }>(`/api/alerts${query({ state: 'raised' })}`);
  useLiveReload(['alert'], raised.reload);
  const mine = (raised.data?.alerts ?? []).filter((a) => a.unitId === null || units.has(a.unitId));
  return (
    <section class="card stack" aria-labelledby="alerts-raised">
      <h2 id="alerts-raised">{t('alerts.raisedNow', { n: raised.data ? mine.length : '…' })}</h2>
      <ErrorNote error={raised.error} />
      {raised.data && mine.length === 0 && <p class="muted">{t('alerts.noneRaised')}</p>}
      <ul class="plain stack">
        {mine.map((a) => (
          <AlertLine key={a.id} a={a} units={units} tz={commune.timeZone} onCleared={raised.reload} />
        ))}
      </ul>
    </section>
  );
}

function History({ commune, units, params }: { commune: Commune; units: Map<string, Unit>; params: URLSearchParams }) {
  const unitId = params.get('unit') ?? '';
  const kind = params.get('kind') ?? '';
  const history = useApi<{ alerts: Alert[] }>(
    `/api/alerts${query({ state: 'all', unitId: unitId || undefined, limit: 500 })}`,
  );
  useLiveReload(['alert'], history.reload);
  const all = (history.data?.alerts ?? []).filter((a) => a.unitId === null || units.has(a.unitId));
  const shown = all.filter((a) => !kind || a.kind === kind).sort((a, b) => b.raisedAt - a.raisedAt);
  const kinds = [...new Set([...KINDS, ...all.map((a) => a.kind)])];
  const sorted = [...units.values()].sort((a, b) => a.name.localeCompare(b.name, 'vi'));
  return (
    <section class="card stack" aria-labelledby="alerts-history">
      <h2 id="alerts-history">{t('alerts.history')}</h2>
      <form class="filters row" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          <span>{t('alerts.unit')}</span>
          <select
            aria-label={t('alerts.unit')}
            value={unitId}
            onChange={(e) => setParam('unit', (e.target as HTMLSelectElement).value)}
          >
            <option value="">{t('alerts.allUnits')}</option>
            {sorted.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>{t('alerts.kind')}</span>
          <select
            aria-label={t('alerts.kind')}
            value={kind}
            onChange={(e) => setParam('kind', (e.target as HTMLSelectElement).value)}
          >
            <option value="">{t('alerts.allKinds')}</option>
            {kinds.map((k) => (
              <option key={k} value={k}>
                {tOr(`alert.kind.${k}`, k)}
              </option>
            ))}
          </select>
        </label>
      </form>
      <ErrorNote error={history.error} />
      {history.data && shown.length === 0 && <p class="muted">{t('alerts.noHistory')}</p>}
      {shown.length > 0 && (
        <ul class="plain stack alert-history" data-testid="alert-history">
          {shown.map((a) => (
            <AlertLine key={a.id} a={a} units={units} tz={commune.timeZone} />
          ))}
        </ul>
      )}
    </section>
  );
}

export default function AlertsScreen({ params }: ScreenProps) {
  useLanguage();
  const commune = useCommune();
  const { byId } = useUnits();
  if (!commune) return <p class="muted">{t('app.loading')}</p>;
  const units = new Map([...byId].filter(([, u]) => u.communeId === commune.id));
  return (
    <div class="stack">
      <h1>{t('alerts.title')}</h1>
      <Raised commune={commune} units={units} />
      <History commune={commune} units={units} params={params} />
      <AlertSettingsCard commune={commune} editable={can('alerts:manage')} />
    </div>
  );
}
