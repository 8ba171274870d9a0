// One bulletin: everything about it, its audio to hear before approving (or, for a relay, the
// stream and how long it is relayed), and what the signed-in person may do with it in its state
// (DESIGN §4 state machine; the server checks it all again).
import { useEffect, useRef, useState } from 'preact/hooks';
import { t, type Key } from '../../i18n/index.js';
import { api, query } from '../../lib/api.js';
import { href } from '../../lib/router.js';
import { can } from '../../lib/session.js';
import { useApi } from '../../lib/use-api.js';
import { dateTime, duration } from '../../lib/format.js';
import { useCommunes } from '../../data/communes.js';
import { useUnits } from '../../data/units.js';
import type { Bulletin, Media, Zone } from '../../lib/types.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { LevelBadge, StateBadge } from '../../ui/badges.js';
import { useAction } from '../../ui/use-action.js';
import { WEEK } from './BulletinForm.js';
import { RelayBadge, relayLength, type Relay } from './AudioSource.js';
import { MediaWarnings } from './MediaWarnings.js';
import { mayEdit } from './BulletinEdit.js';

/** In place of the player: a relay has no audio of its own, only a stream the units pull. */
function RelayFacts({ relay }: { relay: Relay }) {
  return (
    <section class="card" aria-label={t('relay.badge')} data-testid="relay-facts">
      <dl class="facts">
        <dt>{t('relay.stream')}</dt>
        <dd style={{ overflowWrap: 'anywhere' }}>
          <a href={relay.url} target="_blank" rel="noopener noreferrer" title={t('relay.open')}>
            {relay.url}
          </a>
        </dd>
        <dt>{t('relay.duration')}</dt>
        <dd>{relayLength(relay.durationMs)}</dd>
      </dl>
    </section>
  );
}

function Player({ sha256 }: { sha256: string }) {
  const media = useApi<Media>(`/api/media/${sha256}`);
  const [failed, setFailed] = useState(false);
  return (
    <div class="stack">
      {media.data && <p class="muted">{t('bulletin.duration', { duration: duration(media.data.durationMs) })}</p>}
      <audio
        controls
        preload="none"
        src={`/api/media/${sha256}/audio`}
        aria-label={t('bulletin.preview')}
        onError={() => setFailed(true)}
      />
      {failed && <p class="note">{t('bulletin.previewUnavailable')}</p>}
      <MediaWarnings warnings={media.data?.warnings} />
    </div>
  );
}

function Actions({ b, onChange }: { b: Bulletin; onChange: (next: Bulletin) => void }) {
  const { busy, error, run } = useAction();
  const [rejecting, setRejecting] = useState(false);
  const reasonBox = useRef<HTMLTextAreaElement>(null);
  // The reason box takes the focus when it opens: the button pressed is gone, and `autofocus` works
  // only once per page, so a keyboard user would otherwise be sent back to the top of the page.
  useEffect(() => {
    if (rejecting) reasonBox.current?.focus();
  }, [rejecting]);
  const act = (action: string, body?: unknown) =>
    void run(async () =>
      onChange(await api.post<Bulletin>(`/api/bulletins/${encodeURIComponent(b.id)}/${action}`, body)),
    );
  const canWrite = can('bulletins:write');
  const canApprove = can('bulletins:approve');
  const buttons = [
    mayEdit(b) && (
      <a key="edit" class="button" href={href('bulletins', b.id, 'edit')}>
        {t('bulletin.edit')}
      </a>
    ),
    canWrite && ['draft', 'rejected'].includes(b.state) && (
      <button key="submit" type="button" class="primary" disabled={busy} onClick={() => act('submit')}>
        {t('bulletin.submit')}
      </button>
    ),
    canApprove && b.state === 'submitted' && (
      <button key="approve" type="button" class="primary" disabled={busy} onClick={() => act('approve')}>
        {t('bulletin.approve')}
      </button>
    ),
    canApprove && b.state === 'submitted' && !rejecting && (
      <button key="reject" type="button" class="danger" disabled={busy} onClick={() => setRejecting(true)}>
        {t('bulletin.reject')}
      </button>
    ),
    canWrite && ['draft', 'submitted', 'approved', 'on_air'].includes(b.state) && (
      <button
        key="withdraw"
        type="button"
        disabled={busy}
        onClick={() => confirm(t('bulletin.withdrawConfirm')) && act('withdraw')}
      >
        {t('bulletin.withdraw')}
      </button>
    ),
  ].filter(Boolean);
  if (buttons.length === 0 && !rejecting) return null;
  return (
    <section class="card stack" aria-label={t('bulletin.actions')}>
      <div class="row">{buttons}</div>
      {rejecting && (
        <form
          class="stack"
          onSubmit={(e) => {
            e.preventDefault();
            const reason = String(new FormData(e.currentTarget as HTMLFormElement).get('reason')).trim();
            act('reject', { reason });
          }}
        >
          <label>
            {t('bulletin.rejectReason')}
            <textarea ref={reasonBox} name="reason" data-field="reason" required maxLength={1000} rows={3} />
          </label>
          <div class="row">
            <button type="submit" class="danger" disabled={busy}>
              {t('bulletin.rejectSend')}
            </button>
            <button type="button" onClick={() => setRejecting(false)}>
              {t('action.cancel')}
            </button>
          </div>
        </form>
      )}
      <ErrorNote error={error} />
    </section>
  );
}

export function BulletinDetail({ id }: { id: string }) {
  const loaded = useApi<Bulletin>(`/api/bulletins/${encodeURIComponent(id)}`);
  const [changed, setChanged] = useState<Bulletin | null>(null);
  const b = changed && changed.id === id ? changed : loaded.data;
  const { list: communes } = useCommunes();
  const zones = useApi<{ zones: Zone[] }>(b ? `/api/zones${query({ communeId: b.communeId })}` : null);
  const { byId } = useUnits();
  if (loaded.error) return <ErrorNote error={loaded.error} />;
  if (!b) return <p class="muted">{t('app.loading')}</p>;
  const tz = communes.find((c) => c.id === b.communeId)?.timeZone ?? 'Asia/Ho_Chi_Minh';
  const zoneName = (zid: string) => zones.data?.zones.find((z) => z.id === zid)?.name ?? zid;
  const where = b.targets.commune
    ? t('bulletin.wholeCommune')
    : [
        ...(b.targets.zoneIds ?? []).map(zoneName),
        ...(b.targets.unitIds ?? []).map((u) => byId.get(u)?.name ?? u),
      ].join(', ');
  const days = WEEK.filter((d) => b.recurrence.days.includes(d)).map((d) => t(`day.${d}` as Key));
  return (
    <div class="stack">
      <p>
        <a href={href('bulletins')}>← {t('nav.bulletins')}</a>
      </p>
      <h1>{b.title}</h1>
      <p class="row">
        <LevelBadge level={b.level} /> <StateBadge state={b.state} />
        {b.relay && <RelayBadge />}
      </p>
      {b.state === 'rejected' && b.rejectedReason && (
        <p class="note error">
          {t('bulletin.rejectedBecause')} {b.rejectedReason}
        </p>
      )}
      <Actions b={b} onChange={setChanged} />
      {b.relay ? <RelayFacts relay={b.relay} /> : b.mediaSha256 && <Player sha256={b.mediaSha256} />}
      <dl class="facts">
        {b.text && (
          <>
            <dt>{t('bulletin.text')}</dt>
            <dd class="pre">{b.text}</dd>
          </>
        )}
        <dt>{t('bulletin.targets')}</dt>
        <dd>{where}</dd>
        <dt>{t('bulletin.days')}</dt>
        <dd>{days.join(', ')}</dd>
        <dt>{t('bulletin.when')}</dt>
        <dd>
          {b.recurrence.pinnedTimes?.length
            ? `${t('bulletin.pinned')}: ${b.recurrence.pinnedTimes.join(', ')}`
            : b.recurrence.windowIds?.length
              ? `${t('schedule.windows')}: ${b.recurrence.windowIds.join(', ')}`
              : t('bulletin.anyWindow')}
        </dd>
        <dt>{t('bulletin.repeatCount')}</dt>
        <dd>
          {b.repeat.count}
          {b.repeat.count > 1 && ` (${t('bulletin.gapSeconds', { n: b.repeat.gapSeconds })})`}
        </dd>
        <dt>{t('bulletin.validity')}</dt>
        <dd>
          {dateTime(Date.parse(b.validFrom), tz)} – {dateTime(Date.parse(b.validUntil), tz)}
        </dd>
        <dt>{t('bulletin.volume')}</dt>
        <dd>{b.volume}</dd>
        <dt>{t('bulletin.created')}</dt>
        <dd>{dateTime(b.createdAt, tz)}</dd>
        {b.approvedAt && (
          <>
            <dt>{t('bulletin.approvedAt')}</dt>
            <dd>{dateTime(b.approvedAt, tz)}</dd>
          </>
        )}
      </dl>
    </div>
  );
}
