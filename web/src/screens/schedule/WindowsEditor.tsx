// The commune's daily broadcast windows (DESIGN §4). Nothing but an emergency sounds outside them
// (rule 1), so the server checks them — no overlaps, none in the quiet hours — and says why not.
import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { api } from '../../lib/api.js';
import { putCommune } from '../../data/communes.js';
import type { Commune, WindowSpec } from '../../lib/types.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { useAction } from '../../ui/use-action.js';

export function WindowsList({
  windows,
  onChange,
  idPrefix,
}: {
  windows: WindowSpec[];
  onChange: (next: WindowSpec[]) => void;
  idPrefix: string;
}) {
  const set = (i: number, patch: Partial<WindowSpec>) =>
    onChange(windows.map((w, j) => (j === i ? { ...w, ...patch } : w)));
  return (
    <div class="stack">
      {windows.map((w, i) => (
        <div class="row window-row" key={i} role="group" aria-label={t('schedule.windowN', { n: i + 1 })}>
          <label>
            {t('schedule.windowId')}
            <input
              value={w.id}
              required
              pattern="[a-z0-9-]{1,32}"
              title={t('schedule.windowIdHint')}
              onInput={(e) => set(i, { id: (e.target as HTMLInputElement).value })}
              id={`${idPrefix}-id-${i}`}
            />
          </label>
          <label>
            {t('schedule.start')}
            <input
              type="time"
              required
              value={w.start}
              onInput={(e) => set(i, { start: (e.target as HTMLInputElement).value })}
            />
          </label>
          <label>
            {t('schedule.end')}
            <input
              type="time"
              required
              value={w.end}
              onInput={(e) => set(i, { end: (e.target as HTMLInputElement).value })}
            />
          </label>
          <button
            type="button"
            onClick={() => onChange(windows.filter((_, j) => j !== i))}
            disabled={windows.length <= 1}
          >
            {t('action.remove')}
          </button>
        </div>
      ))}
      <div>
        <button
          type="button"
          onClick={() => onChange([...windows, { id: `w${windows.length + 1}`, start: '', end: '' }])}
        >
          + {t('schedule.addWindow')}
        </button>
      </div>
    </div>
  );
}

export function WindowsEditor({
  commune,
  editable,
  onSaved,
}: {
  commune: Commune;
  editable: boolean;
  onSaved: () => void;
}) {
  const [windows, setWindows] = useState<WindowSpec[]>(commune.windows);
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useAction();
  useEffect(() => setWindows(commune.windows), [commune]);
  const save = (e: Event) => {
    e.preventDefault();
    setSaved(false);
    void run(async () => {
      const next = await api.put<Commune>(`/api/communes/${encodeURIComponent(commune.id)}/windows`, { windows });
      putCommune(next);
      setSaved(true);
      onSaved();
    });
  };
  return (
    <section class="card stack" aria-labelledby="windows-title">
      <h2 id="windows-title">{t('schedule.windows')}</h2>
      {!editable ? (
        <ul class="plain">
          {commune.windows.map((w) => (
            <li key={w.id}>
              {w.start}–{w.end} <span class="muted">({w.id})</span>
            </li>
          ))}
        </ul>
      ) : (
        <form class="stack" onSubmit={save} data-field="windows">
          <WindowsList windows={windows} onChange={setWindows} idPrefix="cw" />
          <ErrorNote error={error} />
          {saved && (
            <p class="note ok" role="status">
              {t('app.saved')}
            </p>
          )}
          <div>
            <button type="submit" class="primary" disabled={busy}>
              {t('schedule.saveWindows')}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
