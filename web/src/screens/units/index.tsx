// Cụm loa: the table of units (`#/units`), one unit's page (`#/units/:id`), adding one (`#/units/new`).
import { t } from '../../i18n/index.js';
import { can } from '../../lib/session.js';
import { useCommune } from '../../data/communes.js';
import type { ScreenProps } from '../../routes.js';
import { UnitTable } from './UnitTable.js';
import { UnitPage } from './UnitPage.js';
import { UnitCreate } from './UnitCreate.js';

export default function UnitsScreen({ rest, params }: ScreenProps) {
  const commune = useCommune();
  const [id] = rest;
  if (!commune) return <p class="muted">{t('app.loading')}</p>;
  if (id === 'new')
    return can('units:manage') ? (
      <UnitCreate commune={commune} />
    ) : (
      <p class="note error" role="alert">
        {t('error.forbidden')}
      </p>
    );
  if (id) return <UnitPage id={id} commune={commune} />;
  return <UnitTable commune={commune} params={params} />;
}
