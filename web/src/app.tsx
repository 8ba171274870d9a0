// Signed out: the sign-in page. Signed in: the shell with its screens, the live feed running.
import { useEffect, useState } from 'preact/hooks';
import { t, useLanguage } from './i18n/index.js';
import { ErrorNote } from './ui/ErrorNote.js';
import { loadSession, session, useSession } from './lib/session.js';
import { startLive, stopLive } from './lib/live.js';
import { reloadCommunes } from './data/communes.js';
import { resetUnits } from './data/units.js';
import { Login } from './screens/login/Login.js';
import { Shell } from './shell/Shell.js';
import { ChangePassword } from './screens/account/ChangePassword.js';

export function App() {
  useLanguage(); // the whole page follows the language toggle
  const s = useSession();
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    loadSession().catch(setError);
  }, []);

  // The API refuses everything but changing it to a person with a one-time password (issue #4).
  const signedIn = s.state === 'signed-in' && !s.me.mustChangePassword;
  useEffect(() => {
    if (!signedIn) {
      stopLive();
      return;
    }
    void reloadCommunes();
    resetUnits();
    startLive(
      () => session.set({ state: 'signed-out', expired: true }),
      () => void loadSession().catch(() => undefined),
    );
    return stopLive;
  }, [signedIn, s.state === 'signed-in' ? s.me.id : 0]);

  if (error)
    return (
      <main class="center">
        <h1>Loa</h1>
        <ErrorNote error={error} />
        <button type="button" onClick={() => location.reload()}>
          {t('action.retry')}
        </button>
      </main>
    );
  if (s.state === 'loading') return <p class="center muted">{t('app.loading')}</p>;
  if (s.state === 'signed-out') return <Login expired={s.expired === true} />;
  if (s.me.mustChangePassword) return <ChangePassword forced />;
  return <Shell me={s.me} />;
}
