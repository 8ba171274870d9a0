import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { api } from '../../lib/api.js';
import { reloadCommunes, selectCommune, useCommunes } from '../../data/communes.js';
import type { Commune } from '../../lib/types.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { useAction } from '../../ui/use-action.js';

function CommuneRow({ c, editable }: { c: Commune; editable: boolean }) {
  const [editing, setEditing] = useState(false);
  const { busy, error, run } = useAction();
  if (!editing)
    return (
      <li class="row between">
        <span>
          <strong>{c.name}</strong>{' '}
          <span class="muted">
            {c.id} · {c.timeZone}
          </span>
        </span>
        {editable && (
          <button type="button" onClick={() => setEditing(true)} aria-label={`${t('action.edit')} ${c.name}`}>
            {t('action.edit')}
          </button>
        )}
      </li>
    );
  return (
    <li>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget as HTMLFormElement);
          void run(async () => {
            await api.patch(`/api/communes/${encodeURIComponent(c.id)}`, {
              name: String(data.get('name')).trim(),
              timeZone: String(data.get('timeZone')).trim(),
            });
            await reloadCommunes();
            setEditing(false);
          });
        }}
      >
        <label>
          {t('settings.communeName')}
          <input name="name" data-field="name" required defaultValue={c.name} />
        </label>
        <label>
          {t('settings.timeZone')}
          <input name="timeZone" data-field="timeZone" required defaultValue={c.timeZone} />
        </label>
        <ErrorNote error={error} />
        <div class="row">
          <button type="submit" class="primary" disabled={busy}>
            {t('action.save')}
          </button>
          <button type="button" onClick={() => setEditing(false)}>
            {t('action.cancel')}
          </button>
        </div>
      </form>
    </li>
  );
}

export function CommunesSection({ editable }: { editable: boolean }) {
  const { list, error: loadError } = useCommunes();
  const { busy, error, run } = useAction();
  const create = (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    void run(async () => {
      const c = await api.post<Commune>('/api/communes', {
        id: String(data.get('id')).trim(),
        name: String(data.get('name')).trim(),
      });
      form.reset();
      await reloadCommunes();
      selectCommune(c.id);
    });
  };
  return (
    <section class="card stack" aria-labelledby="communes-title">
      <h2 id="communes-title">{t('settings.communes')}</h2>
      <ErrorNote error={loadError} />
      <ul class="plain stack">
        {list.map((c) => (
          <CommuneRow key={c.id} c={c} editable={editable} />
        ))}
      </ul>
      {editable && (
        <details>
          <summary>{t('settings.newCommune')}</summary>
          <form class="stack" onSubmit={create}>
            <label>
              {t('settings.communeName')}
              <input name="name" data-field="name" required maxLength={200} />
            </label>
            <label>
              {t('settings.id')}
              <input name="id" data-field="id" required pattern="[a-z0-9-]{1,64}" title={t('settings.idHint')} />
            </label>
            <p class="muted">{t('settings.newCommuneHint')}</p>
            <ErrorNote error={error} />
            <div>
              <button type="submit" class="primary" disabled={busy}>
                {t('action.create')}
              </button>
            </div>
          </form>
        </details>
      )}
    </section>
  );
}
