// "Cụm loa lỡ khung giờ" (issue #9): which unit missed which window instance — a unit that aired
// the morning window and missed the evening one is named with the evening. A unit dead for a month
// misses dozens: past a few, the count, with the list folded away.
import { t } from '../../i18n/index.js';
import { missedByUnit, type MissedWindow } from './missed-windows.js';

export type { MissedWindow };

/** Up to this many windows of one unit are named in the cell; the server's CSV and printed page name as many. */
const NAMED = 3;

export function MissedWindows({ missed }: { missed: readonly MissedWindow[] }) {
  const units = missedByUnit(missed);
  if (units.length === 0) return <>—</>;
  return (
    <ul class="plain missed">
      {units.map(({ unitId, unit, windows }) => (
        <li key={unitId}>
          <strong>{unit}</strong>:{' '}
          {windows.length <= NAMED ? (
            windows.join(', ')
          ) : (
            <details>
              <summary>{t('report.missedCount', { n: windows.length })}</summary>
              {windows.join(', ')}
            </details>
          )}
        </li>
      ))}
    </ul>
  );
}
