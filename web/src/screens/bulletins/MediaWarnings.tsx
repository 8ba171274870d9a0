// What the loudness normalization could not reach on an uploaded recording (issue #6), in words
// that say what to do: the server stores its best attempt and says so on the media (`warnings`,
// server/src/media/warnings.ts). Its English sentence, with the figures, is kept beside ours.
import { t, tOr } from '../../i18n/index.js';
import type { MediaWarning } from '../../lib/types.js';

export function MediaWarnings({ warnings }: { warnings: readonly MediaWarning[] | undefined }) {
  if (!warnings?.length) return null;
  return (
    <div class="note warn" role="status" data-testid="media-warnings">
      <p>
        <strong>{t('media.warningsTitle')}</strong>
      </p>
      <ul>
        {warnings.map((w) => (
          <li key={w.code} data-warning={w.code}>
            {tOr(`media.warning.${w.code}`, w.message)}
            <br />
            <span class="detail" lang="en">
              {w.message}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
