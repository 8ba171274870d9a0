import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { api } from '../../lib/api.js';
import { loadSession, signOut } from '../../lib/session.js';
import { UserError } from '../../lib/errors.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { useAction } from '../../ui/use-action.js';

/** Changing one's own password; `forced` when an administrator set a one-time password. */
export function ChangePassword({ forced = false }: { forced?: boolean }) {
  const { busy, error, run, setError } = useAction();
  const [done, setDone] = useState(false);
  const submit = (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const next = String(data.get('newPassword'));
    if (next !== String(data.get('confirm'))) {
      setError(new UserError(t('account.mismatch')));
      return;
    }
    void run(async () => {
      await api.post('/api/auth/password', { currentPassword: String(data.get('currentPassword')), newPassword: next });
      form.reset();
      setDone(true);
      if (forced) await loadSession();
    });
  };
  return (
    <section class={forced ? 'login' : ''}>
      <form onSubmit={submit} class="card stack">
        <h2>{t('account.changePassword')}</h2>
        {forced && <p class="note">{t('account.mustChange')}</p>}
        <label>
          {t('account.current')}
          <input
            name="currentPassword"
            data-field="currentPassword"
            type="password"
            autoComplete="current-password"
            required
          />
        </label>
        <label>
          {t('account.new')}
          <input
            name="newPassword"
            data-field="newPassword"
            type="password"
            autoComplete="new-password"
            required
            minLength={8}
          />
        </label>
        <label>
          {t('account.confirm')}
          <input name="confirm" type="password" autoComplete="new-password" required />
        </label>
        <ErrorNote error={error} />
        {done && (
          <p class="note ok" role="status">
            {t('account.changed')}
          </p>
        )}
        <div class="row">
          <button type="submit" class="primary" disabled={busy}>
            {t('account.save')}
          </button>
          {forced && (
            <button type="button" onClick={() => void signOut()}>
              {t('auth.signOut')}
            </button>
          )}
        </div>
      </form>
    </section>
  );
}
