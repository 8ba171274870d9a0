// The commune's alert thresholds and webhook (GET/PUT /api/communes/:id/alert-settings). The server
// checks every value (ranges, the URL, near-window at most the ordinary threshold) and its refusal
// is shown in words beside the field it names; nothing here second-guesses it.
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { api } from '../../lib/api.js';
import { useApi } from '../../lib/use-api.js';
import type { Commune } from '../../lib/types.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { useAction } from '../../ui/use-action.js';

export interface AlertSettings {
  offlineMinutes: number;
  offlineMinutesNearWindow: number;
  temperatureC: number;
  clockOffsetS: number;
  diskFreePercent: number;
  webhookUrl: string | null;
}

const NUMBERS = [
  ['offlineMinutes', 'alerts.offlineMinutes'],
  ['offlineMinutesNearWindow', 'alerts.offlineMinutesNearWindow'],
  ['temperatureC', 'alerts.temperatureC'],
  ['clockOffsetS', 'alerts.clockOffsetS'],
  ['diskFreePercent', 'alerts.diskFreePercent'],
] as const;
/** Half seconds make sense for the clock; the rest are whole numbers. */
const STEP: Partial<Record<(typeof NUMBERS)[number][0], string>> = { clockOffsetS: '0.5' };

export function AlertSettingsCard({ commune, editable }: { commune: Commune; editable: boolean }) {
  const path = `/api/communes/${encodeURIComponent(commune.id)}/alert-settings`;
  const loaded = useApi<AlertSettings>(path);
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useAction();
  const s = loaded.data;

  const save = (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const url = String(data.get('webhookUrl') ?? '').trim();
    setSaved(false);
    void run(async () => {
      await api.put<AlertSettings>(path, {
        offlineMinutes: Number(data.get('offlineMinutes')),
        offlineMinutesNearWindow: Number(data.get('offlineMinutesNearWindow')),
        temperatureC: Number(data.get('temperatureC')),
        clockOffsetS: Number(data.get('clockOffsetS')),
        diskFreePercent: Number(data.get('diskFreePercent')),
        webhookUrl: url === '' ? null : url,
      });
      loaded.reload();
      setSaved(true);
    });
  };

  return (
    <section class="card stack" aria-labelledby="alert-settings">
      <h2 id="alert-settings">{t('alerts.settings')}</h2>
      <p class="muted">{t('alerts.fixedRules')}</p>
      <ErrorNote error={loaded.error} />
      {s && !editable && (
        <>
          <dl class="facts">
            {NUMBERS.map(([k, label]) => (
              <Fragment key={k}>
                <dt>{t(label)}</dt>
                <dd>{s[k]}</dd>
              </Fragment>
            ))}
            <dt>{t('alerts.webhookUrl')}</dt>
            <dd>{s.webhookUrl ?? t('alerts.webhookNone')}</dd>
          </dl>
          <p class="muted">{t('alerts.settingsReadOnly')}</p>
        </>
      )}
      {s && editable && (
        // Keyed by the saved values, so a reload after saving shows what the server kept.
        <form class="stack form" onSubmit={save} key={JSON.stringify(s)}>
          {NUMBERS.map(([k, label]) => (
            <label key={k}>
              {t(label)}
              <input
                name={k}
                data-field={k}
                type="number"
                inputMode={STEP[k] ? 'decimal' : 'numeric'}
                step={STEP[k] ?? '1'}
                required
                defaultValue={String(s[k])}
              />
            </label>
          ))}
          <label>
            {t('alerts.webhookUrl')} <span class="muted">({t('app.optional')})</span>
            <input
              name="webhookUrl"
              data-field="webhookUrl"
              type="text"
              inputMode="url"
              placeholder="https://…"
              defaultValue={s.webhookUrl ?? ''}
            />
          </label>
          <ErrorNote error={error} />
          {saved && !error && (
            <p class="note ok" role="status">
              {t('app.saved')}
            </p>
          )}
          <div class="row">
            <button type="submit" class="primary" disabled={busy}>
              {t('action.save')}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
