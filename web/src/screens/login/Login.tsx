import { language, setLanguage, t } from '../../i18n/index.js';
import { signIn } from '../../lib/session.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { useAction } from '../../ui/use-action.js';

export function Login({ expired }: { expired: boolean }) {
  const { busy, error, run } = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    void run(() => signIn(String(form.get('username')), String(form.get('password'))));
  };
  const other = language.get() === 'vi' ? 'en' : 'vi';
  return (
    <main class="login">
      <h1>
        Loa <small>{t('app.tagline')}</small>
      </h1>
      <form onSubmit={submit} class="card stack">
        <h2>{t('auth.title')}</h2>
        {expired && <p class="note">{t('auth.expired')}</p>}
        <label>
          {t('auth.username')}
          <input name="username" autoComplete="username" required autoFocus />
        </label>
        <label>
          {t('auth.password')}
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <ErrorNote error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t('app.working') : t('auth.signIn')}
        </button>
      </form>
      <button type="button" class="link" lang={other} onClick={() => setLanguage(other)}>
        {other === 'en' ? 'English' : 'Tiếng Việt'}
      </button>
    </main>
  );
}
