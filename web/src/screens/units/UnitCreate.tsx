// Adding a unit: the server answers with its secret, shown this once (only its hash is kept), and
// the server's public key; the technician copies both to the board (README: running an agent).
import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { api } from '../../lib/api.js';
import { href } from '../../lib/router.js';
import { useApi } from '../../lib/use-api.js';
import { reloadUnits } from '../../data/units.js';
import type { Commune, Unit, Village } from '../../lib/types.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { useAction } from '../../ui/use-action.js';

interface Created {
  unit: Unit;
  secret: string;
  serverPublicKey: string;
}

export function UnitCreate({ commune }: { commune: Commune }) {
  const villages = useApi<{ villages: Village[] }>(`/api/communes/${encodeURIComponent(commune.id)}/villages`);
  const { busy, error, run } = useAction();
  const [created, setCreated] = useState<Created | null>(null);
  const save = (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const id = String(data.get('id')).trim();
    const villageId = String(data.get('villageId'));
    void run(async () => {
      setCreated(
        await api.post<Created>('/api/units', {
          ...(id ? { id } : {}),
          name: String(data.get('name')).trim(),
          communeId: commune.id,
          ...(villageId ? { villageId } : {}),
        }),
      );
      await reloadUnits();
    });
  };
  if (created) {
    const command = `npm run agent -- --server mqtt://${location.hostname}:1883 --unit ${created.unit.id} --secret ${created.secret} --data-dir ./agent-data --server-key server-key.pem --sink alsa`;
    return (
      <div class="stack">
        <h1>{t('unit.created', { name: created.unit.name })}</h1>
        <p class="note warn">{t('unit.secretOnce')}</p>
        <label>
          {t('unit.secret')}
          <input readOnly value={created.secret} onFocus={(e) => (e.target as HTMLInputElement).select()} />
        </label>
        <label>
          {t('unit.serverKey')}
          <textarea readOnly rows={4} value={created.serverPublicKey} />
        </label>
        <label>
          {t('unit.agentCommand')}
          <textarea readOnly rows={3} value={command} />
        </label>
        <p class="row">
          <a class="button primary" href={href('units', created.unit.id)}>
            {t('unit.open')}
          </a>
          <a href={href('units')}>{t('nav.units')}</a>
        </p>
      </div>
    );
  }
  return (
    <form class="stack form" onSubmit={save}>
      <h1>{t('unit.add')}</h1>
      <label>
        {t('unit.name')}
        <input name="name" data-field="name" required maxLength={200} />
      </label>
      <label>
        {t('unit.id')} <span class="muted">({t('app.optional')})</span>
        <input name="id" data-field="id" pattern="[a-z0-9-]{3,64}" title={t('unit.idHint')} />
      </label>
      <label>
        {t('unit.village')}
        <select name="villageId" data-field="villageId">
          <option value="">—</option>
          {(villages.data?.villages ?? []).map((v) => (
            <option key={v.id} value={v.id}>
              {v.name}
            </option>
          ))}
        </select>
      </label>
      <ErrorNote error={error} />
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          {t('unit.add')}
        </button>
        <a href={href('units')}>{t('action.cancel')}</a>
      </div>
    </form>
  );
}
