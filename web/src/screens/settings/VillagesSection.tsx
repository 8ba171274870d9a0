import { t } from '../../i18n/index.js';
import { api } from '../../lib/api.js';
import { useApi } from '../../lib/use-api.js';
import type { Commune, Village } from '../../lib/types.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { useAction } from '../../ui/use-action.js';

export function VillagesSection({ commune, editable }: { commune: Commune; editable: boolean }) {
  const path = `/api/communes/${encodeURIComponent(commune.id)}/villages`;
  const villages = useApi<{ villages: Village[] }>(path);
  const { busy, error, run } = useAction();
  const create = (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const id = String(data.get('id')).trim();
    void run(async () => {
      await api.post(path, { name: String(data.get('name')).trim(), ...(id ? { id } : {}) });
      form.reset();
      villages.reload();
    });
  };
  return (
    <section class="card stack" aria-labelledby="villages-title">
      <h2 id="villages-title">{t('settings.villages', { commune: commune.name })}</h2>
      <ErrorNote error={villages.error} />
      {villages.data && villages.data.villages.length === 0 && <p class="muted">{t('settings.noVillages')}</p>}
      <ul class="plain">
        {villages.data?.villages.map((v) => (
          <li key={v.id}>
            {v.name} <span class="muted">{v.id}</span>
          </li>
        ))}
      </ul>
      {editable && (
        <form class="row" onSubmit={create}>
          <label>
            {t('settings.villageName')}
            <input name="name" data-field="name" required maxLength={200} />
          </label>
          <label>
            {t('settings.id')} <span class="muted">({t('app.optional')})</span>
            <input name="id" data-field="id" pattern="[a-z0-9-]{1,64}" title={t('settings.idHint')} />
          </label>
          <button type="submit" disabled={busy}>
            + {t('settings.addVillage')}
          </button>
          <ErrorNote error={error} />
        </form>
      )}
    </section>
  );
}
