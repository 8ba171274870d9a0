import { t } from '../../i18n/index.js';
import { useSession } from '../../lib/session.js';
import { ChangePassword } from './ChangePassword.js';

export default function AccountScreen() {
  const s = useSession();
  if (s.state !== 'signed-in') return null;
  const { me } = s;
  return (
    <div class="stack">
      <h1>{t('nav.account')}</h1>
      <dl class="facts">
        <dt>{t('auth.username')}</dt>
        <dd>{me.username}</dd>
        <dt>{t('users.role')}</dt>
        <dd>{t(`role.${me.role}`)}</dd>
        <dt>{t('users.communes')}</dt>
        <dd>{me.communeIds === null ? t('users.allCommunes') : me.communeIds.join(', ')}</dd>
      </dl>
      <ChangePassword />
    </div>
  );
}
