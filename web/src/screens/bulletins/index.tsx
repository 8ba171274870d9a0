// Bản tin: the list with state and level; `#/bulletins/new` to write one; `#/bulletins/:id` to
// read, hear, submit, approve or reject one; `#/bulletins/:id/edit` to edit a draft or a rejected one.
import { t, type Key } from '../../i18n/index.js';
import { href, setParam } from '../../lib/router.js';
import { can } from '../../lib/session.js';
import { useApi, useLiveReload } from '../../lib/use-api.js';
import { dateTime } from '../../lib/format.js';
import { useCommune } from '../../data/communes.js';
import type { Bulletin, BulletinState } from '../../lib/types.js';
import type { ScreenProps } from '../../routes.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { LevelBadge, StateBadge } from '../../ui/badges.js';
import { BulletinForm } from './BulletinForm.js';
import { BulletinDetail } from './BulletinDetail.js';
import { BulletinEdit } from './BulletinEdit.js';
import { RelayBadge, relayLength } from './AudioSource.js';

const FILTERS: Record<string, BulletinState[] | null> = {
  all: null,
  submitted: ['submitted'],
  approved: ['approved', 'on_air'],
  draft: ['draft', 'rejected'],
  ended: ['expired', 'withdrawn'],
};

function BulletinList({ params }: { params: URLSearchParams }) {
  const commune = useCommune();
  const list = useApi<{ bulletins: Bulletin[] }>('/api/bulletins');
  useLiveReload(['plan-published'], list.reload);
  const filter = params.get('show') ?? 'all';
  const states = FILTERS[filter] ?? null;
  const tz = commune?.timeZone ?? 'Asia/Ho_Chi_Minh';
  const rows = (list.data?.bulletins ?? [])
    .filter((b) => !commune || b.communeId === commune.id)
    .filter((b) => !states || states.includes(b.state));
  return (
    <div class="stack">
      <div class="row between">
        <h1>{t('nav.bulletins')}</h1>
        {can('bulletins:write') && (
          <a class="button primary" href={href('bulletins', 'new')}>
            + {t('bulletin.new')}
          </a>
        )}
      </div>
      <div class="tabs" role="group" aria-label={t('bulletin.filter')}>
        {Object.keys(FILTERS).map((f) => (
          <button
            key={f}
            type="button"
            aria-pressed={f === filter}
            onClick={() => setParam('show', f === 'all' ? null : f)}
          >
            {t(`bulletin.filter.${f}` as Key)}
          </button>
        ))}
      </div>
      <ErrorNote error={list.error} />
      {list.data && rows.length === 0 && <p class="muted">{t('bulletin.none')}</p>}
      {rows.length > 0 && (
        <div class="table-wrap">
          <table class="list">
            <thead>
              <tr>
                <th scope="col">{t('bulletin.title')}</th>
                <th scope="col">{t('bulletin.level')}</th>
                <th scope="col">{t('bulletin.state')}</th>
                <th scope="col">{t('bulletin.validity')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((b) => (
                <tr key={b.id}>
                  <td data-label={t('bulletin.title')}>
                    {b.relay ? (
                      // One block: on a phone the cell is a flex row beside its label.
                      <div style={{ minWidth: 0 }}>
                        <a href={href('bulletins', b.id)}>{b.title}</a>
                        <div class="muted" data-testid="relay-summary" style={{ overflowWrap: 'anywhere' }}>
                          <RelayBadge /> {b.relay.url} · {relayLength(b.relay.durationMs)}
                        </div>
                      </div>
                    ) : (
                      <a href={href('bulletins', b.id)}>{b.title}</a>
                    )}
                  </td>
                  <td data-label={t('bulletin.level')}>
                    <LevelBadge level={b.level} />
                  </td>
                  <td data-label={t('bulletin.state')}>
                    <StateBadge state={b.state} />
                  </td>
                  <td data-label={t('bulletin.validity')}>
                    {dateTime(Date.parse(b.validFrom), tz)} – {dateTime(Date.parse(b.validUntil), tz)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

export default function BulletinsScreen({ rest, params }: ScreenProps) {
  const commune = useCommune();
  const [id, sub] = rest;
  if (id === 'new') {
    if (!can('bulletins:write'))
      return (
        <p class="note error" role="alert">
          {t('error.forbidden')}
        </p>
      );
    return commune ? <BulletinForm commune={commune} /> : <p class="muted">{t('app.loading')}</p>;
  }
  if (id && sub === 'edit') return <BulletinEdit id={id} />;
  if (id) return <BulletinDetail id={id} />;
  return <BulletinList params={params} />;
}
