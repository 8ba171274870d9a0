// One unit: its health, today's plan, what it actually played (the proof of broadcast), its
// alerts, commands for those allowed, and its name, village and secret for those who manage units.
import { Fragment } from 'preact';
import { toZoned } from '@loa/shared';
import { t, tOr } from '../../i18n/index.js';
import { query } from '../../lib/api.js';
import { href } from '../../lib/router.js';
import { can } from '../../lib/session.js';
import { useApi, useLiveReload } from '../../lib/use-api.js';
import { ago, bytes, clock, dateTime, duration } from '../../lib/format.js';
import { useUnits } from '../../data/units.js';
import type { Alert, Bulletin, Commune, PlanItem, PlayLogEntry, UnitTimeline } from '../../lib/types.js';
import { playingTitle } from '../../data/timeline.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { LevelBadge, OnlineBadge } from '../../ui/badges.js';
import { OverbookedBulletin, reasonText } from '../../ui/OverbookedList.js';
import { useNow } from '../../ui/use-now.js';
import { Commands } from './Commands.js';
import { UnitEdit } from './UnitEdit.js';
import { UnitSecret } from './UnitSecret.js';
import { TelemetryChart } from './TelemetryChart.js';

function Health({ tel, items }: { tel: Record<string, unknown>; items: PlanItem[] }) {
  const n = (k: string) => (typeof tel[k] === 'number' ? (tel[k] as number) : undefined);
  const facts: Array<[string, string | undefined]> = [
    [t('unit.uptime'), n('uptimeS') !== undefined ? duration(n('uptimeS')! * 1000) : undefined],
    [t('unit.cpuTemp'), n('cpuTempC') !== undefined ? `${n('cpuTempC')!.toFixed(0)} °C` : undefined],
    [t('unit.load'), n('load1')?.toFixed(2)],
    [t('unit.diskFree'), n('diskFreeBytes') !== undefined ? bytes(n('diskFreeBytes')!) : undefined],
    [t('unit.memFree'), n('memFreeBytes') !== undefined ? bytes(n('memFreeBytes')!) : undefined],
    [t('unit.cache'), n('cacheBytes') !== undefined ? bytes(n('cacheBytes')!) : undefined],
    [t('unit.clockOffset'), n('clockOffsetMs') !== undefined ? `${n('clockOffsetMs')!.toFixed(0)} ms` : undefined],
    [
      t('unit.volume'),
      n('volume') !== undefined ? String(n('volume')) + (tel.muted ? ` (${t('unit.muted')})` : '') : undefined,
    ],
    [
      t('unit.amplifier'),
      typeof tel.amplifierOn === 'boolean' ? (tel.amplifierOn ? t('unit.ampOn') : t('unit.ampOff')) : undefined,
    ],
    [t('unit.playing'), typeof tel.playing === 'string' ? playingTitle(tel.playing, items) : undefined],
  ];
  return (
    <dl class="facts">
      {facts
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => (
          <Fragment key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </Fragment>
        ))}
    </dl>
  );
}

export function UnitPage({ id, commune }: { id: string; commune: Commune }) {
  const { byId, loaded } = useUnits();
  const now = useNow(15_000);
  const tz = commune.timeZone;
  const today = toZoned(now, tz).date;
  const enc = encodeURIComponent(id);
  const plan = useApi<UnitTimeline>(`/api/units/${enc}/plan${query({ date: today })}`);
  const log = useApi<{ entries: PlayLogEntry[] }>(
    can('playlog:read')
      ? `/api/units/${enc}/play-log${query({ from: Date.parse(`${today}T00:00:00Z`) - 7 * 86_400_000, limit: 200 })}`
      : null,
  );
  const alerts = useApi<{ alerts: Alert[] }>(
    can('alerts:read') ? `/api/alerts${query({ state: 'all', unitId: id })}` : null,
  );
  const bulletins = useApi<{ bulletins: Bulletin[] }>(can('bulletins:read') ? '/api/bulletins' : null);
  useLiveReload(['plan-published'], plan.reload, (m) => m.unitId === id);
  useLiveReload(['events-stored'], log.reload, (m) => m.unitId === id);
  useLiveReload(['alert'], alerts.reload, (m) => m.unitId === id);

  const unit = byId.get(id);
  if (!unit)
    return loaded ? <p class="note error">{t('error.unit-not-found')}</p> : <p class="muted">{t('app.loading')}</p>;
  const title = (bulletinId: string | null) =>
    bulletins.data?.bulletins.find((b) => b.id === bulletinId)?.title ?? bulletinId ?? '—';
  const entries = [...(log.data?.entries ?? [])].reverse();

  return (
    <div class="stack">
      <p>
        <a href={href('units')}>← {t('nav.units')}</a>
      </p>
      <h1>
        {unit.name} <small class="muted">{unit.id}</small>
      </h1>
      <p class="row" role="status" data-testid="unit-status">
        <OnlineBadge online={unit.online} />
        <span class="muted">
          {unit.online
            ? t('unit.onlineSince', { ago: ago(unit.statusSince, now) })
            : unit.lastSeen === null
              ? t('unit.neverSeen')
              : t('unit.offlineSince', { ago: ago(unit.statusSince ?? unit.lastSeen, now) })}
          {' · '}
          {t('unit.lastSeen')}: {ago(unit.lastSeen, now)}
          {unit.agentVersion && ` · agent ${unit.agentVersion}`}
        </span>
      </p>
      {unit.telemetry && <Health tel={unit.telemetry as Record<string, unknown>} items={plan.data?.items ?? []} />}
      <TelemetryChart unitId={unit.id} timeZone={tz} />
      {can('units:command') && <Commands unit={unit} timeZone={tz} />}
      <section class="card stack" aria-labelledby="plan-title">
        <h2 id="plan-title">{t('unit.todayPlan', { date: today })}</h2>
        <p class="muted">
          {t('unit.planVersions', { held: unit.reportedPlanVersion ?? '—', sent: unit.publishedPlanVersion ?? '—' })}
        </p>
        <ErrorNote error={plan.error} />
        {plan.data && plan.data.windows.length === 0 && <p class="muted">{t('timeline.noWindows')}</p>}
        {plan.data?.windows.map((w) => (
          <div key={`${w.id}-${w.startAt}`}>
            <strong>
              {clock(w.startAt, tz)}–{clock(w.endAt, tz)}
            </strong>
            {!plan.data!.items.some((i) => i.startAt >= w.startAt && i.startAt < w.endAt) && (
              <span class="muted"> {t('timeline.empty')}</span>
            )}
            <ol class="tl-list">
              {plan
                .data!.items.filter((i) => i.startAt >= w.startAt && i.startAt < w.endAt)
                .map((i) => (
                  <li key={i.id}>
                    <time>{clock(i.startAt, tz, true)}</time> {i.title ?? i.bulletinId} <LevelBadge level={i.level} />{' '}
                    <span class="muted">{duration(i.media.durationMs)}</span>
                  </li>
                ))}
            </ol>
          </div>
        ))}
        {plan.data && plan.data.overbooked.length > 0 && (
          <ul class="plain">
            {plan.data.overbooked.map((o) => (
              <li key={`${o.bulletinId}${o.occurrence}`}>
                ⚠ <strong>{reasonText(o.reason)}</strong>: <OverbookedBulletin item={o} />{' '}
                <span class="detail">{o.detail}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      {can('alerts:read') && (
        <section class="card stack" aria-labelledby="unit-alerts">
          <h2 id="unit-alerts">{t('dashboard.alerts')}</h2>
          <ErrorNote error={alerts.error} />
          {alerts.data && alerts.data.alerts.length === 0 && <p class="muted">{t('dashboard.noAlerts')}</p>}
          <ul class="plain">
            {alerts.data?.alerts.map((a) => (
              <li key={a.id}>
                <span class={`badge ${a.state === 'raised' ? 'bad' : ''}`}>{t(`alert.${a.state}`)}</span>{' '}
                <strong>{tOr(`alert.kind.${a.kind}`, a.kind)}</strong> <span class="detail">{a.message}</span>{' '}
                <span class="muted">{dateTime(a.raisedAt, tz)}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      {can('playlog:read') && (
        <section class="stack" aria-labelledby="log-title">
          <h2 id="log-title">{t('unit.playLog')}</h2>
          <ErrorNote error={log.error} />
          {log.data && entries.length === 0 && <p class="muted">{t('unit.noPlayLog')}</p>}
          {entries.length > 0 && (
            <div class="table-wrap">
              <table class="list">
                <thead>
                  <tr>
                    <th scope="col">{t('log.scheduled')}</th>
                    <th scope="col">{t('log.started')}</th>
                    <th scope="col">{t('log.bulletin')}</th>
                    <th scope="col">{t('log.duration')}</th>
                    <th scope="col">{t('log.outcome')}</th>
                  </tr>
                </thead>
                <tbody>
                  {entries.map((e, i) => (
                    <tr key={`${e.itemId}-${i}`}>
                      <td data-label={t('log.scheduled')}>{e.scheduledAt ? dateTime(e.scheduledAt, tz) : '—'}</td>
                      <td data-label={t('log.started')}>{e.startedAt ? clock(e.startedAt, tz, true) : '—'}</td>
                      <td data-label={t('log.bulletin')}>{title(e.bulletinId)}</td>
                      <td data-label={t('log.duration')}>{e.durationMs !== null ? duration(e.durationMs) : '—'}</td>
                      <td data-label={t('log.outcome')}>
                        {tOr(`outcome.${e.outcome}`, e.outcome)}
                        {e.reason && <span class="detail"> {e.reason}</span>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      )}
      {can('units:manage') && <UnitEdit unit={unit} commune={commune} />}
      {can('units:manage') && <UnitSecret unit={unit} timeZone={tz} />}
    </div>
  );
}
