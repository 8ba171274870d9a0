// What each unit answered to an emergency broadcast, as the answers arrive, and the button that
// stops it early (a mistake, or the danger passed: the units stop and resume their plans).
import { t } from '../../i18n/index.js';
import { api } from '../../lib/api.js';
import { clock, duration } from '../../lib/format.js';
import type { Unit } from '../../lib/types.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { useAction } from '../../ui/use-action.js';
import { useNow } from '../../ui/use-now.js';

export interface EmergencyView {
  id: string;
  title: string | null;
  sha256: string;
  durationMs: number;
  repeat: number;
  volume: number;
  createdAt: number;
  validUntil: number;
  stoppedAt: number | null;
  units: { unitId: string; state: 'pending' | 'acked' | 'failed' | 'expired'; error?: string }[];
}

const STATE_CLASS = { pending: 'warn', acked: 'ok', failed: 'bad', expired: 'bad' } as const;

export function EmergencyResult({
  result,
  units,
  timeZone,
  onStopped,
}: {
  result: EmergencyView;
  units: ReadonlyMap<string, Unit>;
  timeZone: string;
  onStopped: () => void;
}) {
  const stopping = useAction();
  const now = useNow(1000);
  return (
    <section class="card stack" aria-labelledby="emergency-result" data-emergency={result.id}>
      <h2 id="emergency-result">{t('emergency.sent', { time: clock(result.createdAt, timeZone, true) })}</h2>
      <p class="muted">
        {t('emergency.sentDetail', {
          duration: duration(result.durationMs),
          until: clock(result.validUntil, timeZone, true),
        })}
      </p>
      <ul class="plain" aria-live="polite">
        {result.units.map((u) => (
          <li key={u.unitId} data-unit={u.unitId}>
            {units.get(u.unitId)?.name ?? u.unitId}{' '}
            <span class={`badge ${STATE_CLASS[u.state]}`}>{t(`emergency.state.${u.state}`)}</span>
            {u.error && <span class="detail"> {u.error}</span>}
          </li>
        ))}
      </ul>
      {result.stoppedAt !== null ? (
        <p class="note" role="status">
          {t('emergency.stoppedAt', { time: clock(result.stoppedAt, timeZone, true) })}
        </p>
      ) : (
        result.validUntil > now && (
          <button
            type="button"
            class="danger"
            disabled={stopping.busy}
            onClick={() =>
              stopping.run(async () => {
                if (!window.confirm(t('emergency.stopConfirm'))) return;
                await api.post(`/api/emergency/${result.id}/stop`, {});
                onStopped();
              })
            }
          >
            {t('emergency.stop')}
          </button>
        )
      )}
      <ErrorNote error={stopping.error} />
    </section>
  );
}
