// Tổng quan: today's windows per zone, units online/offline, active alerts, what plays now.
import { t, tOr } from '../../i18n/index.js';
import { query } from '../../lib/api.js';
import { href } from '../../lib/router.js';
import { can } from '../../lib/session.js';
import { useApi, useLiveReload } from '../../lib/use-api.js';
import { useCommune } from '../../data/communes.js';
import { useUnits } from '../../data/units.js';
import { playingNow, playingTitle, rowsByZone } from '../../data/timeline.js';
import type { Alert, CommuneTimeline, Unit, Zone } from '../../lib/types.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { ZoneTimeline } from '../../ui/ZoneTimeline.js';
import { OverbookedList } from '../../ui/OverbookedList.js';
import { useNow } from '../../ui/use-now.js';
import { ago } from '../../lib/format.js';

function UnitsCard({ units }: { units: Unit[] }) {
  const offline = units.filter((u) => !u.online);
  return (
    <section class="card" aria-labelledby="units-card">
      <h2 id="units-card">{t('nav.units')}</h2>
      <p class="figures">
        <a href={`${href('units')}?status=online`} class="figure ok">
          <strong data-testid="online-count">{units.length - offline.length}</strong> {t('unit.online')}
        </a>
        <a href={`${href('units')}?status=offline`} class="figure bad">
          <strong data-testid="offline-count">{offline.length}</strong> {t('unit.offline')}
        </a>
      </p>
      {offline.length > 0 && (
        <ul class="plain">
          {offline.slice(0, 5).map((u) => (
            <li key={u.id}>
              <a href={href('units', u.id)}>{u.name}</a>{' '}
              <span class="muted">
                {u.lastSeen === null
                  ? t('unit.neverSeen')
                  : t('unit.offlineSince', { ago: ago(u.statusSince ?? u.lastSeen) })}
              </span>
            </li>
          ))}
          {offline.length > 5 && <li class="muted">{t('dashboard.more', { n: offline.length - 5 })}</li>}
        </ul>
      )}
    </section>
  );
}

function AlertsCard({ communeUnits }: { communeUnits: Map<string, Unit> }) {
  const alerts = useApi<{ alerts: Alert[] }>(`/api/alerts${query({ state: 'raised' })}`);
  useLiveReload(['alert'], alerts.reload);
  const mine = (alerts.data?.alerts ?? []).filter((a) => a.unitId === null || communeUnits.has(a.unitId));
  return (
    <section class="card" aria-labelledby="alerts-card">
      <h2 id="alerts-card">{t('dashboard.alerts')}</h2>
      <ErrorNote error={alerts.error} />
      {alerts.data && mine.length === 0 && <p class="muted">{t('dashboard.noAlerts')}</p>}
      {mine.length > 0 && (
        <ul class="plain">
          {mine.map((a) => (
            <li key={a.id} class="alert-line">
              <strong>{a.unitId ? (communeUnits.get(a.unitId)?.name ?? a.unitId) : t('dashboard.server')}</strong>:{' '}
              {tOr(`alert.kind.${a.kind}`, a.kind)} <span class="muted">({ago(a.raisedAt)})</span>
              <br />
              <span class="detail">{a.message}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export default function Dashboard() {
  const commune = useCommune();
  const { byId } = useUnits();
  const now = useNow(10_000);
  const timeline = useApi<CommuneTimeline>(commune ? `/api/communes/${commune.id}/timeline` : null);
  const zones = useApi<{ zones: Zone[] }>(commune ? `/api/zones${query({ communeId: commune.id })}` : null);
  useLiveReload(['plan-published'], () => {
    timeline.reload();
    zones.reload();
  });

  if (!commune) return <p class="muted">{t('app.loading')}</p>;
  const units = [...byId.values()].filter((u) => u.communeId === commune.id);
  const communeUnits = new Map(units.map((u) => [u.id, u]));
  const rows = timeline.data ? rowsByZone(timeline.data, zones.data?.zones ?? [], t('timeline.outsideZones')) : [];
  const playing = playingNow(rows, now);
  const reporting = units.filter((u) => u.online && u.telemetry?.playing);

  return (
    <div class="stack">
      <h1>{t('nav.dashboard')}</h1>
      <div class="cards">
        <UnitsCard units={units} />
        <section class="card" aria-labelledby="now-card">
          <h2 id="now-card">{t('dashboard.now')}</h2>
          {playing.length === 0 && reporting.length === 0 && <p class="muted">{t('dashboard.silent')}</p>}
          <ul class="plain">
            {playing.map(({ item, zones: on }) => (
              <li key={item.id}>
                <strong>{item.title ?? item.bulletinId}</strong> <span class="muted">— {on.join(', ')}</span>
              </li>
            ))}
            {reporting.map((u) => (
              <li key={u.id}>
                <a href={href('units', u.id)}>{u.name}</a>:{' '}
                {playingTitle(
                  String(u.telemetry?.playing),
                  rows.flatMap((r) => r.items),
                )}
              </li>
            ))}
          </ul>
        </section>
        {can('alerts:read') && <AlertsCard communeUnits={communeUnits} />}
      </div>
      <section aria-labelledby="today">
        <h2 id="today">
          {t('dashboard.today')} {timeline.data && <small class="muted">{timeline.data.date}</small>}
        </h2>
        <ErrorNote error={timeline.error} />
        {timeline.data && <ZoneTimeline rows={rows} timeZone={timeline.data.timeZone} now={now} />}
        {timeline.data && timeline.data.overbooked.length > 0 && (
          <OverbookedList items={timeline.data.overbooked} units={communeUnits} />
        )}
      </section>
    </div>
  );
}
