// Zones: any named set of units ("the market", "border hamlets"), optionally with their own
// windows instead of the commune's (DESIGN §4).
import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { api, query } from '../../lib/api.js';
import { useApi } from '../../lib/use-api.js';
import { useUnits } from '../../data/units.js';
import type { Commune, WindowSpec, Zone } from '../../lib/types.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { useAction } from '../../ui/use-action.js';
import { WindowsList } from '../schedule/WindowsEditor.js';

function ZoneForm({ commune, zone, onDone }: { commune: Commune; zone: Zone | null; onDone: () => void }) {
  const { byId } = useUnits();
  const units = [...byId.values()]
    .filter((u) => u.communeId === commune.id)
    .sort((a, b) => a.name.localeCompare(b.name, 'vi'));
  const [unitIds, setUnitIds] = useState<string[]>(zone?.unitIds ?? []);
  const [own, setOwn] = useState(zone?.windows != null);
  const [windows, setWindows] = useState<WindowSpec[]>(zone?.windows ?? commune.windows);
  const [filter, setFilter] = useState('');
  const { busy, error, run } = useAction();
  const save = (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const body = { name: String(data.get('name')).trim(), unitIds, windows: own ? windows : null };
    void run(async () => {
      if (zone) await api.put(`/api/zones/${encodeURIComponent(zone.id)}`, body);
      else await api.post('/api/zones', { ...body, communeId: commune.id });
      onDone();
    });
  };
  const shown = units.filter(
    (u) => !filter || u.name.toLowerCase().includes(filter.toLowerCase()) || u.id.includes(filter),
  );
  return (
    <form class="stack" onSubmit={save}>
      <label>
        {t('settings.zoneName')}
        <input name="name" data-field="name" required maxLength={200} defaultValue={zone?.name ?? ''} />
      </label>
      <fieldset data-field="unitIds" tabIndex={-1}>
        <legend>{t('settings.zoneUnits', { n: unitIds.length })}</legend>
        <input
          type="search"
          aria-label={t('unit.search')}
          placeholder={t('unit.search')}
          value={filter}
          onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
        />
        <div class="checks scroll">
          {shown.map((u) => (
            <label key={u.id} class="inline">
              <input
                type="checkbox"
                checked={unitIds.includes(u.id)}
                onChange={(e) =>
                  setUnitIds(
                    (e.target as HTMLInputElement).checked ? [...unitIds, u.id] : unitIds.filter((id) => id !== u.id),
                  )
                }
              />
              {u.name}
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset data-field="windows" tabIndex={-1}>
        <legend>{t('schedule.windows')}</legend>
        <label class="inline">
          <input type="checkbox" checked={own} onChange={(e) => setOwn((e.target as HTMLInputElement).checked)} />
          {t('settings.zoneOwnWindows')}
        </label>
        {own && <WindowsList windows={windows} onChange={setWindows} idPrefix={`zw-${zone?.id ?? 'new'}`} />}
      </fieldset>
      <ErrorNote error={error} />
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          {t('action.save')}
        </button>
        <button type="button" onClick={onDone}>
          {t('action.cancel')}
        </button>
      </div>
    </form>
  );
}

export function ZonesSection({ commune, editable }: { commune: Commune; editable: boolean }) {
  const zones = useApi<{ zones: Zone[] }>(`/api/zones${query({ communeId: commune.id })}`);
  const [editing, setEditing] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const done = () => {
    setEditing(null);
    zones.reload();
  };
  return (
    <section class="card stack" aria-labelledby="zones-title">
      <h2 id="zones-title">{t('nav.zones')}</h2>
      <ErrorNote error={zones.error ?? error} />
      {zones.data && zones.data.zones.length === 0 && <p class="muted">{t('settings.noZones')}</p>}
      <ul class="plain stack">
        {zones.data?.zones.map((z) =>
          editing === z.id ? (
            <li key={z.id}>
              <ZoneForm commune={commune} zone={z} onDone={done} />
            </li>
          ) : (
            <li key={z.id} class="row between">
              <span>
                <strong>{z.name}</strong>{' '}
                <span class="muted">
                  {t('timeline.units', { n: z.unitIds.length })}
                  {z.windows && ` · ${z.windows.map((w) => `${w.start}–${w.end}`).join(', ')}`}
                </span>
              </span>
              {editable && (
                <span class="row">
                  <button type="button" onClick={() => setEditing(z.id)} aria-label={`${t('action.edit')} ${z.name}`}>
                    {t('action.edit')}
                  </button>
                  <button
                    type="button"
                    class="danger"
                    disabled={busy}
                    aria-label={`${t('action.delete')} ${z.name}`}
                    onClick={() =>
                      confirm(t('settings.deleteZoneConfirm', { name: z.name })) &&
                      void run(async () => {
                        await api.del(`/api/zones/${encodeURIComponent(z.id)}`);
                        zones.reload();
                      })
                    }
                  >
                    {t('action.delete')}
                  </button>
                </span>
              )}
            </li>
          ),
        )}
      </ul>
      {editable &&
        (editing === 'new' ? (
          <ZoneForm commune={commune} zone={null} onDone={done} />
        ) : (
          <div>
            <button type="button" onClick={() => setEditing('new')}>
              + {t('settings.newZone')}
            </button>
          </div>
        ))}
    </section>
  );
}
