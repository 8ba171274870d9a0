// Whole commune, or some zones and units: the same choice as on the emergency screen.
import { t } from '../../i18n/index.js';
import type { Unit, Zone } from '../../lib/types.js';

export interface Targets {
  whole: boolean;
  zoneIds: string[];
  unitIds: string[];
}

export const hasTargets = (v: Targets) => v.whole || v.zoneIds.length > 0 || v.unitIds.length > 0;

export const toRequest = (v: Targets) => (v.whole ? { commune: true } : { zoneIds: v.zoneIds, unitIds: v.unitIds });

export function TargetPicker(props: {
  legend: string;
  value: Targets;
  onChange: (v: Targets) => void;
  zones: Zone[];
  units: Unit[];
  disabled?: boolean;
}) {
  const { value, onChange, disabled } = props;
  const toggle = (list: string[], id: string) => (list.includes(id) ? list.filter((x) => x !== id) : [...list, id]);
  return (
    <fieldset data-field="targets" tabIndex={-1} disabled={disabled}>
      <legend>{props.legend}</legend>
      <label class="inline">
        <input
          type="checkbox"
          name="whole"
          checked={value.whole}
          onChange={(e) => onChange({ ...value, whole: (e.target as HTMLInputElement).checked })}
        />
        {t('bulletin.wholeCommune')}
      </label>
      {!value.whole && (
        <div class="checks" role="group" aria-label={props.legend}>
          {props.zones.map((z) => (
            <label key={z.id} class="inline">
              <input
                type="checkbox"
                name="zoneIds"
                value={z.id}
                checked={value.zoneIds.includes(z.id)}
                onChange={() => onChange({ ...value, zoneIds: toggle(value.zoneIds, z.id) })}
              />
              {z.name}
            </label>
          ))}
          {props.units.map((u) => (
            <label key={u.id} class="inline">
              <input
                type="checkbox"
                name="unitIds"
                value={u.id}
                checked={value.unitIds.includes(u.id)}
                onChange={() => onChange({ ...value, unitIds: toggle(value.unitIds, u.id) })}
              />
              {u.name}
            </label>
          ))}
        </div>
      )}
    </fieldset>
  );
}
