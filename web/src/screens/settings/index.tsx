// Cài đặt: communes, their villages and zones (DESIGN §4). Read by everyone who reads the
// schedule; changed by those who manage it (schedule:manage).
import { t } from '../../i18n/index.js';
import { can } from '../../lib/session.js';
import { useCommune } from '../../data/communes.js';
import { CommunesSection } from './CommunesSection.js';
import { VillagesSection } from './VillagesSection.js';
import { ZonesSection } from './ZonesSection.js';

export default function SettingsScreen() {
  const commune = useCommune();
  const editable = can('schedule:manage');
  return (
    <div class="stack">
      <h1>{t('nav.settings')}</h1>
      <CommunesSection editable={editable} />
      {commune && <VillagesSection commune={commune} editable={editable} />}
      {commune && <ZonesSection commune={commune} editable={editable} />}
    </div>
  );
}
