// A unit's secret (issue #4), for those who manage units: replaced (the old one stops working; a
// revoked unit is enrolled again this way) or revoked (a stolen or retired board is cut off). With
// an external broker the server does not manage, neither cuts the unit off at once: the server
// says so (`brokerApplied: false`, units.broker.ts) and this card shows what to do, rather than
// let the administrator believe the board is already cut off.
import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { api } from '../../lib/api.js';
import { dateTime } from '../../lib/format.js';
import { reloadUnits } from '../../data/units.js';
import type { Unit } from '../../lib/types.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { useAction } from '../../ui/use-action.js';

/** What the revoke and rotate answers say of the broker. */
export interface BrokerAnswer {
  brokerApplied: boolean;
  /** What the administrator must do themselves, when not applied. */
  brokerMessage?: string;
}

type Done = { kind: 'rotated'; secret: string; broker: BrokerAnswer } | { kind: 'revoked'; broker: BrokerAnswer };

/** The broker could not be told: the unit stays connected until someone acts (server's words beside). */
export function BrokerNote({ answer }: { answer: BrokerAnswer }) {
  if (answer.brokerApplied) return null;
  return (
    <div class="note error" role="alert" data-testid="broker-not-applied">
      <p>{t('unit.brokerNotApplied')}</p>
      {answer.brokerMessage && (
        <p class="detail" lang="en">
          {answer.brokerMessage}
        </p>
      )}
    </div>
  );
}

export function UnitSecret({ unit, timeZone }: { unit: Unit; timeZone: string }) {
  const { busy, error, run } = useAction();
  const [done, setDone] = useState<Done | null>(null);
  const path = `/api/units/${encodeURIComponent(unit.id)}`;
  const revoked = unit.revokedAt != null;
  const rotate = () => {
    if (!confirm(t(revoked ? 'unit.reenrollConfirm' : 'unit.rotateConfirm'))) return;
    void run(async () => {
      const r = await api.post<BrokerAnswer & { secret: string }>(`${path}/secret`);
      setDone({ kind: 'rotated', secret: r.secret, broker: r });
      await reloadUnits();
    });
  };
  const revoke = () => {
    if (!confirm(t('unit.revokeConfirm'))) return;
    void run(async () => {
      setDone({ kind: 'revoked', broker: await api.post<BrokerAnswer>(`${path}/revoke`) });
      await reloadUnits();
    });
  };
  return (
    <section class="card stack" aria-labelledby="unit-secret">
      <h2 id="unit-secret">{t('unit.secret')}</h2>
      <p class="muted" data-testid="secret-state">
        {revoked
          ? t('unit.revokedAt', { at: dateTime(unit.revokedAt!, timeZone) })
          : unit.secretRotatedAt != null
            ? t('unit.rotatedAt', { at: dateTime(unit.secretRotatedAt, timeZone) })
            : t('unit.secretFirst')}
      </p>
      {done?.kind === 'rotated' && (
        <>
          <p class="note warn">{t('unit.secretOnce')}</p>
          <label>
            {t('unit.newSecret')}
            <input readOnly value={done.secret} onFocus={(e) => (e.target as HTMLInputElement).select()} />
          </label>
        </>
      )}
      {done && <BrokerNote answer={done.broker} />}
      <ErrorNote error={error} />
      <div class="row">
        <button type="button" disabled={busy} onClick={rotate}>
          {t(revoked ? 'unit.reenroll' : 'unit.rotate')}
        </button>
        {!revoked && (
          <button type="button" class="danger" disabled={busy} onClick={revoke}>
            {t('unit.revoke')}
          </button>
        )}
      </div>
    </section>
  );
}
