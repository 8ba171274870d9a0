// Renaming a unit or moving it to another village (units:manage).
import { t } from '../../i18n/index.js';
import { api } from '../../lib/api.js';
import { useApi } from '../../lib/use-api.js';
import { reloadUnits } from '../../data/units.js';
import type { Commune, Unit, Village } from '../../lib/types.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { useAction } from '../../ui/use-action.js';
import { useState } from 'preact/hooks';

export function UnitEdit({ unit, commune }: { unit: Unit; commune: Commune }) {
  const villages = useApi<{ villages: Village[] }>(`/api/communes/${encodeURIComponent(commune.id)}/villages`);
  const { busy, error, run } = useAction();
  const [saved, setSaved] = useState(false);
  const save = (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    setSaved(false);
    void run(async () => {
      await api.patch(`/api/units/${encodeURIComponent(unit.id)}`, {
        name: String(data.get('name')).trim(),
        villageId: String(data.get('villageId')) || null,
      });
      await reloadUnits();
      setSaved(true);
    });
  };
  return (
    <form class="card stack" onSubmit={save} aria-labelledby="unit-edit">
      <h2 id="unit-edit">{t('unit.edit')}</h2>
      <label>
        {t('unit.name')}
        <input name="name" data-field="name" required maxLength={200} defaultValue={unit.name} />
      </label>
      <label>
        {t('unit.village')}
        <select name="villageId" data-field="villageId" defaultValue={unit.villageId ?? ''}>
          <option value="">—</option>
          {(villages.data?.villages ?? []).map((v) => (
            <option key={v.id} value={v.id} selected={v.id === unit.villageId}>
              {v.name}
            </option>
          ))}
        </select>
      </label>
      <ErrorNote error={error} />
      {saved && (
        <p class="note ok" role="status">
          {t('app.saved')}
        </p>
      )}
      <div>
        <button type="submit" class="primary" disabled={busy}>
          {t('action.save')}
        </button>
      </div>
    </form>
  );
}
