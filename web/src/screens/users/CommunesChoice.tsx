// Which communes an account covers: all of them (a province account) or some.
import { t } from '../../i18n/index.js';
import { useCommunes } from '../../data/communes.js';

export function CommunesChoice({
  value,
  onChange,
}: {
  value: string[] | null;
  onChange: (next: string[] | null) => void;
}) {
  const { list } = useCommunes();
  return (
    <fieldset data-field="communeIds" tabIndex={-1}>
      <legend>{t('users.communes')}</legend>
      <label class="inline">
        <input
          type="checkbox"
          checked={value === null}
          onChange={(e) => onChange((e.target as HTMLInputElement).checked ? null : [])}
        />
        {t('users.allCommunes')}
      </label>
      {value !== null && (
        <div class="checks">
          {list.map((c) => (
            <label key={c.id} class="inline">
              <input
                type="checkbox"
                checked={value.includes(c.id)}
                onChange={(e) =>
                  onChange(
                    (e.target as HTMLInputElement).checked ? [...value, c.id] : value.filter((id) => id !== c.id),
                  )
                }
              />
              {c.name}
            </label>
          ))}
        </div>
      )}
    </fieldset>
  );
}
