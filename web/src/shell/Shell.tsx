// The frame around every screen: header (commune, live state, language, account), the main menu
// built from SCREENS and the person's permissions, and the screen itself.
import { useEffect, useRef } from 'preact/hooks';
import { language, setLanguage, t } from '../i18n/index.js';
import { DEFAULT_SCREEN, SCREENS } from '../routes.js';
import { href, useRoute } from '../lib/router.js';
import { can, signOut } from '../lib/session.js';
import { useLiveState } from '../lib/live.js';
import { selectCommune, useCommunes } from '../data/communes.js';
import type { Me } from '../lib/types.js';
import { ScreenHost } from './ScreenHost.js';

function LiveIndicator() {
  const state = useLiveState();
  return (
    <span class={`live live-${state}`} role="status" title={t(`live.${state}.hint`)}>
      {t(`live.${state}`)}
    </span>
  );
}

function CommunePicker() {
  const { list, selectedId } = useCommunes();
  if (list.length <= 1) return list[0] ? <span class="commune-name">{list[0].name}</span> : null;
  return (
    <label class="commune-picker">
      <span class="sr-only">{t('commune.pick')}</span>
      <select value={selectedId ?? ''} onChange={(e) => selectCommune((e.target as HTMLSelectElement).value)}>
        {list.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name}
          </option>
        ))}
      </select>
    </label>
  );
}

export function Shell({ me }: { me: Me }) {
  const { segments, params } = useRoute();
  const id = segments[0] ?? DEFAULT_SCREEN;
  const screen = SCREENS.find((s) => s.id === id);
  const allowed = screen && (!screen.permission || can(screen.permission));
  const main = useRef<HTMLElement>(null);

  useEffect(() => {
    document.title = `${screen ? t(screen.label) : t('app.notFound')} · Loa`;
  }, [screen, language.get()]);

  const other = language.get() === 'vi' ? 'en' : 'vi';
  return (
    <div class="shell">
      <button type="button" class="skip" onClick={() => main.current?.focus()}>
        {t('app.skip')}
      </button>
      <header class="top">
        <a class="brand" href={href(DEFAULT_SCREEN)}>
          Loa
        </a>
        <CommunePicker />
        <LiveIndicator />
        <span class="spacer" />
        <button
          type="button"
          class="lang"
          lang={other}
          onClick={() => setLanguage(other)}
          aria-label={other === 'en' ? 'English' : 'Tiếng Việt'}
        >
          {other === 'en' ? 'EN' : 'VI'}
        </button>
        <a class="who" href={href('account')} title={t('nav.account')}>
          {me.username} · {t(`role.${me.role}`)}
        </a>
        <button type="button" onClick={() => void signOut()}>
          {t('auth.signOut')}
        </button>
      </header>
      <nav class="menu" aria-label={t('nav.label')}>
        {SCREENS.filter((s) => s.menu && (!s.permission || can(s.permission))).map((s) => (
          <a key={s.id} href={href(s.id)} aria-current={s.id === id ? 'page' : undefined}>
            {t(s.label)}
          </a>
        ))}
      </nav>
      <main id="main" ref={main} tabIndex={-1}>
        {!screen && <p class="note">{t('app.notFound')}</p>}
        {screen && !allowed && (
          <p class="note error" role="alert">
            {t('error.forbidden')}
          </p>
        )}
        {screen && allowed && <ScreenHost key={screen.id} screen={screen} rest={segments.slice(1)} params={params} />}
      </main>
    </div>
  );
}
