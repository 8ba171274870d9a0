// Quiet hours: when nothing but an emergency may be scheduled (DESIGN §1: no loudspeaker waking a
// commune at 03:15 because of a typo). The server refuses windows that reach into them.
import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { api } from '../../lib/api.js';
import { putCommune } from '../../data/communes.js';
import type { Commune } from '../../lib/types.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { useAction } from '../../ui/use-action.js';

export function QuietHoursEditor({
  commune,
  editable,
  onSaved,
}: {
  commune: Commune;
  editable: boolean;
  onSaved: () => void;
}) {
  const [enabled, setEnabled] = useState(commune.quietHours !== null);
  const [start, setStart] = useState(commune.quietHours?.start ?? '22:00');
  const [end, setEnd] = useState(commune.quietHours?.end ?? '05:00');
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useAction();
  useEffect(() => {
    setEnabled(commune.quietHours !== null);
    setStart(commune.quietHours?.start ?? '22:00');
    setEnd(commune.quietHours?.end ?? '05:00');
  }, [commune]);
  const save = (e: Event) => {
    e.preventDefault();
    setSaved(false);
    void run(async () => {
      const next = await api.patch<Commune>(`/api/communes/${encodeURIComponent(commune.id)}`, {
        quietHours: enabled ? { start, end } : null,
      });
      putCommune(next);
      setSaved(true);
      onSaved();
    });
  };
  return (
    <section class="card stack" aria-labelledby="quiet-title">
      <h2 id="quiet-title">{t('schedule.quietHours')}</h2>
      <p class="muted">{t('schedule.quietHint')}</p>
      {!editable ? (
        <p>{commune.quietHours ? `${commune.quietHours.start}–${commune.quietHours.end}` : t('schedule.quietOff')}</p>
      ) : (
        <form class="stack" onSubmit={save}>
          <label class="inline">
            <input
              type="checkbox"
              checked={enabled}
              onChange={(e) => setEnabled((e.target as HTMLInputElement).checked)}
            />
            {t('schedule.quietOn')}
          </label>
          {enabled && (
            <div class="row" data-field="quietHours" tabIndex={-1}>
              <label>
                {t('schedule.start')}
                <input
                  type="time"
                  required
                  value={start}
                  onInput={(e) => setStart((e.target as HTMLInputElement).value)}
                />
              </label>
              <label>
                {t('schedule.end')}
                <input type="time" required value={end} onInput={(e) => setEnd((e.target as HTMLInputElement).value)} />
              </label>
            </div>
          )}
          <ErrorNote error={error} />
          {saved && (
            <p class="note ok" role="status">
              {t('app.saved')}
            </p>
          )}
          <div>
            <button type="submit" class="primary" disabled={busy}>
              {t('schedule.saveQuiet')}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
