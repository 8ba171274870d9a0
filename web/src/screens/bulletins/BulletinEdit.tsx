// `#/bulletins/:id/edit` (issue #3): the form filled in with a draft or a rejected bulletin, for its
// writer or an administrator; saving sends only what changed (PATCH), and a rejected bulletin
// edited is a draft again. The server checks all of it again.
import { t } from '../../i18n/index.js';
import { useApi } from '../../lib/use-api.js';
import { can, me } from '../../lib/session.js';
import { useCommunes } from '../../data/communes.js';
import type { Bulletin, Media } from '../../lib/types.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { BulletinForm } from './BulletinForm.js';

/** Whether the signed-in person may edit this bulletin now (server/src/schedule/bulletins.transitions.ts). */
export function mayEdit(b: Bulletin): boolean {
  const who = me();
  if (!who || !can('bulletins:write') || !['draft', 'rejected'].includes(b.state)) return false;
  if (b.level === 'emergency' && !can('emergency')) return false;
  return b.createdBy === who.id || who.role === 'admin';
}

export function BulletinEdit({ id }: { id: string }) {
  const loaded = useApi<Bulletin>(`/api/bulletins/${encodeURIComponent(id)}`);
  const b = loaded.data;
  const media = useApi<Media>(b?.mediaSha256 ? `/api/media/${b.mediaSha256}` : null);
  const { list: communes } = useCommunes();
  if (loaded.error) return <ErrorNote error={loaded.error} />;
  if (media.error) return <ErrorNote error={media.error} />;
  const commune = b && communes.find((c) => c.id === b.communeId);
  if (!b || !commune || (b.mediaSha256 && !media.data)) return <p class="muted">{t('app.loading')}</p>;
  if (!mayEdit(b))
    return (
      <p class="note error" role="alert">
        {t('bulletin.notEditable')}
      </p>
    );
  return <BulletinForm key={b.id} commune={commune} initial={b} initialMedia={media.data ?? null} />;
}
