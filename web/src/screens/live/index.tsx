// Phát trực tiếp (issue #8): the leader speaks into the browser's microphone and the chosen
// loudspeakers play it within half a second. Pick the targets and the volume, press the big
// button; the microphone is asked for, the session opened (POST /api/live), and every 20 ms Opus
// packet goes over the session's socket. The level meter, the time on air and what each unit
// answered show while it lasts; the big stop button ends the session and releases the microphone.
// Sessions already live in the commune are listed, so nobody talks over someone else unknowingly.
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { api, ApiError } from '../../lib/api.js';
import { clock, duration } from '../../lib/format.js';
import { query } from '../../lib/api.js';
import { can, me } from '../../lib/session.js';
import type { Zone } from '../../lib/types.js';
import type { ScreenProps } from '../../routes.js';
import { useApi, useLiveReload } from '../../lib/use-api.js';
import { UserError } from '../../lib/errors.js';
import { useCommune } from '../../data/communes.js';
import { useUnits } from '../../data/units.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { focusField } from '../../ui/use-action.js';
import { useNow } from '../../ui/use-now.js';
import { openLink, type Link } from './link.js';
import { canEncode, MicError, openMic, type Mic } from './mic.js';
import { hasTargets, TargetPicker, toRequest, type Targets } from './TargetPicker.js';
import type { LiveUnit, LiveView } from './types.js';
import './live.css';

type Phase = 'idle' | 'starting' | 'live' | 'stopping';
type Notice =
  | { kind: 'reconnecting' }
  | { kind: 'ended'; reason: string | null }
  | { kind: 'lost' }
  | { kind: 'stopped'; at: number; airedMs: number };

const STATE_CLASS = { pending: 'warn', ok: 'ok', error: 'bad', expired: 'bad', taken: 'bad' } as const;
/** A unit the server took out of this session (an emergency live broadcast needed it). */
type Shown = LiveUnit | { unitId: string; state: 'taken'; error?: undefined };
/** How often the list of the commune's live sessions is read again while the screen is open. */
const ACTIVE_POLL_MS = 5_000;

export default function LiveScreen({ params }: ScreenProps) {
  const commune = useCommune();
  const zones = useApi<{ zones: Zone[] }>(commune ? `/api/zones${query({ communeId: commune.id })}` : null);
  const { byId } = useUnits();
  const communeUnits = [...byId.values()].filter((u) => u.communeId === commune?.id);
  const active = useApi<{ sessions: LiveView[] }>('/api/live');
  useLiveReload(['command-ack'], active.reload);
  useEffect(() => {
    const timer = setInterval(active.reload, ACTIVE_POLL_MS);
    return () => clearInterval(timer);
  }, [active.reload]);

  const [targets, setTargets] = useState<Targets>({ whole: true, zoneIds: [], unitIds: [] });
  const [volume, setVolume] = useState(80);
  const [title, setTitle] = useState('');
  // Rule 4: only someone allowed to sound an emergency may speak outside the windows, over everyone.
  // The emergency screen's "live" choice opens this one with ?level=emergency, already ticked.
  const [urgent, setUrgent] = useState(() => params.get('level') === 'emergency' && can('emergency'));
  const [phase, setPhase] = useState<Phase>('idle');
  const [session, setSession] = useState<LiveView | null>(null);
  const [units, setUnits] = useState<LiveUnit[]>([]);
  const [targetIds, setTargetIds] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(undefined);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [dropped, setDropped] = useState<string | null>(null);
  const [level, setLevel] = useState(0);
  const [startedAt, setStartedAt] = useState(0);
  const [path, setPath] = useState<Mic['path'] | null>(null);
  const [supported, setSupported] = useState<boolean | null>(null);
  const now = useNow(phase === 'live' ? 500 : 60_000);
  const run = useRef<{
    mic?: Mic;
    link?: Link;
    sessionId?: string;
    peak: number;
    stopping: boolean;
    unmounted?: boolean;
  }>({
    peak: 0,
    stopping: false,
  });

  useEffect(() => {
    void canEncode().then(setSupported);
  }, []);

  /** Closes the socket and releases the microphone (idempotent). */
  const teardown = () => {
    const r = run.current;
    r.link?.close();
    r.mic?.stop();
    r.link = undefined;
    r.mic = undefined;
  };
  // Leaving the screen or closing the tab ends the session: the socket closes normally (1000)
  // and the server stops it at once, rather than after its 10 s of silence.
  useEffect(() => {
    window.addEventListener('pagehide', teardown);
    return () => {
      run.current.unmounted = true;
      window.removeEventListener('pagehide', teardown);
      teardown();
    };
  }, []);

  // The meter shows the loudest block heard since its last refresh, ten times a second.
  useEffect(() => {
    if (phase !== 'live') {
      setLevel(0);
      return;
    }
    const timer = setInterval(() => {
      setLevel(run.current.peak);
      run.current.peak = 0;
    }, 100);
    return () => clearInterval(timer);
  }, [phase]);

  if (!commune) return <p class="muted">{t('live.noCommune')}</p>;

  const sessionEnded = (n: Notice) => {
    teardown();
    setPhase('idle');
    setNotice(n);
    setDropped(null);
    active.reload();
  };

  const start = async () => {
    if (!hasTargets(targets)) return setError(new UserError(t('live.needTargets')));
    setError(undefined);
    setNotice(null);
    setDropped(null);
    setSession(null);
    setPhase('starting');
    run.current.stopping = false;
    run.current.sessionId = undefined;
    let mic: Mic;
    try {
      mic = await openMic({
        packet: (bytes) => run.current.link?.send(bytes),
        level: (v) => {
          if (v > run.current.peak) run.current.peak = v;
        },
        failed: (err) => {
          const id = run.current.link ? run.current.sessionId : undefined;
          sessionEnded({ kind: 'ended', reason: null });
          setError(new UserError(t('live.error.capture', { reason: err.message })));
          if (id) void api.post(`/api/live/${id}/stop`, {}).catch(() => undefined);
        },
      });
    } catch (err) {
      setPhase('idle');
      setError(err instanceof MicError ? new UserError(t(`live.error.${err.kind}`)) : err);
      return;
    }
    run.current.mic = mic;
    setPath(mic.path);
    let view: LiveView;
    try {
      view = await api.post<LiveView>('/api/live', {
        communeId: commune.id,
        targets: toRequest(targets),
        volume,
        ...(title.trim() ? { title: title.trim() } : {}),
        ...(urgent ? { level: 'emergency' } : {}),
      });
    } catch (err) {
      teardown();
      setPhase('idle');
      setError(err);
      if (err instanceof ApiError && err.field) focusField(err.field);
      active.reload();
      return;
    }
    if (run.current.unmounted || run.current.mic !== mic) {
      // Left the screen, or the microphone failed, while the session was being opened: nobody
      // is there to speak.
      teardown();
      void api.post(`/api/live/${view.id}/stop`, {}).catch(() => undefined);
      return;
    }
    run.current.sessionId = view.id;
    setSession(view);
    setUnits(view.units);
    setTargetIds(view.units.map((u) => u.unitId));
    setStartedAt(Date.now());
    setPhase('live');
    run.current.link = openLink(view.id, {
      ready: () => setNotice(null),
      units: setUnits,
      dropped: (_seq, reason) => setDropped(reason),
      reconnecting: () => setNotice({ kind: 'reconnecting' }),
      ended: (reason, lost) => {
        if (run.current.stopping) return;
        sessionEnded(lost ? { kind: 'lost' } : { kind: 'ended', reason });
        // The socket could not be brought back: end the session now if the server can be reached,
        // rather than leaving the units waiting for its 10 s of silence.
        if (lost) void api.post(`/api/live/${view.id}/stop`, {}).catch(() => undefined);
      },
    });
    active.reload();
  };

  const stop = async () => {
    if (!session) return;
    run.current.stopping = true;
    setPhase('stopping');
    try {
      const v = await api.post<LiveView>(`/api/live/${session.id}/stop`, {});
      setSession(v);
    } catch (err) {
      // Stopped anyway when the socket closes below; the person is told if the server said no.
      if (!(err instanceof ApiError && err.code === 'live-not-found')) setError(err);
    }
    sessionEnded({ kind: 'stopped', at: Date.now(), airedMs: Date.now() - startedAt });
  };

  const busy = phase !== 'idle';
  const unitName = (id: string) => byId.get(id)?.name ?? id;
  const others = (active.data?.sessions ?? []).filter((s) => s.communeId === commune.id && s.endedAt === null);
  return (
    <div class="stack live">
      <h1>{t('nav.live')}</h1>
      <p class="note">{t('live.intro')}</p>
      {supported === false && (
        <div class="note error" role="alert">
          {/* Over plain http the browser hides WebCodecs too: the address is at fault, not the browser. */}
          <p>{t(window.isSecureContext ? 'live.error.unsupported' : 'live.error.insecure')}</p>
        </div>
      )}
      <TargetPicker
        legend={t('live.targets')}
        value={targets}
        onChange={setTargets}
        zones={zones.data?.zones ?? []}
        units={communeUnits}
        disabled={busy}
      />
      <div class="row">
        <label data-field="title" class="live-title">
          {t('live.title')}
          <input
            name="title"
            maxLength={300}
            value={title}
            disabled={busy}
            onInput={(e) => setTitle((e.target as HTMLInputElement).value)}
          />
        </label>
        <label data-field="volume" class="live-volume">
          {t('live.volume')}: <span aria-hidden="true">{volume}</span>
          <input
            type="range"
            name="volume"
            min={0}
            max={100}
            value={volume}
            disabled={busy}
            onInput={(e) => setVolume(Number((e.target as HTMLInputElement).value))}
          />
        </label>
      </div>
      {can('emergency') && (
        <label class="inline live-urgent">
          <input
            type="checkbox"
            name="level"
            checked={urgent}
            disabled={busy}
            onChange={(e) => setUrgent((e.target as HTMLInputElement).checked)}
          />{' '}
          {t('live.urgent')}
          <span class="muted"> — {t('live.urgentHint')}</span>
        </label>
      )}
      <ErrorNote error={error} />
      {notice?.kind === 'ended' && (
        <div class="note warn" role="alert">
          <p>{t('live.ended')}</p>
          {notice.reason && (
            <p class="detail" lang="en">
              {notice.reason}
            </p>
          )}
        </div>
      )}
      {notice?.kind === 'lost' && (
        <div class="note warn" role="alert">
          <p>{t('live.lost')}</p>
        </div>
      )}
      {notice?.kind === 'stopped' && (
        <p class="note ok" role="status">
          {t('live.stopped', { time: clock(notice.at, commune.timeZone, true), duration: duration(notice.airedMs) })}
        </p>
      )}
      {phase === 'idle' || phase === 'starting' ? (
        <button
          type="button"
          class="primary live-button"
          disabled={phase === 'starting' || supported === false}
          onClick={() => void start()}
        >
          {phase === 'starting' ? t('live.starting') : t('live.start')}
        </button>
      ) : (
        <section class="card stack live-on" aria-labelledby="live-on" data-session={session?.id}>
          <h2 id="live-on" class="row between">
            <span>{t('live.onAir')}</span>
            <span class="rec-time" role="timer" aria-label={t('live.elapsed')}>
              {duration(Math.max(0, now - startedAt))}
            </span>
          </h2>
          {notice?.kind === 'reconnecting' && (
            <p class="note warn" role="status">
              {t('live.reconnecting')}
            </p>
          )}
          <label class="live-meter">
            {t('live.level')}
            <meter aria-label={t('live.level')} min={0} max={1} low={0.25} high={0.9} optimum={0.6} value={level} />
          </label>
          <ul class="plain" aria-live="polite" aria-label={t('live.units')}>
            {targetIds
              .map((id): Shown => units.find((u) => u.unitId === id) ?? { unitId: id, state: 'taken' })
              .map((u) => (
                <li key={u.unitId} data-unit={u.unitId}>
                  <span>{unitName(u.unitId)}</span>{' '}
                  <span class={`badge ${STATE_CLASS[u.state]}`}>
                    {u.state === 'error'
                      ? t('live.state.error', { reason: u.error ?? '' })
                      : t(`live.state.${u.state}`)}
                  </span>
                  <span class="detail"> {t(`live.hint.${u.state}`)}</span>
                </li>
              ))}
          </ul>
          {dropped && (
            <p class="muted" role="status">
              {t('live.dropped')} <span lang="en">{dropped}</span>
            </p>
          )}
          <button type="button" class="danger live-button" disabled={phase === 'stopping'} onClick={() => void stop()}>
            {t('live.stop')}
          </button>
          {path && <p class="muted small">{t(`live.path.${path}`)}</p>}
        </section>
      )}
      <section class="stack" aria-labelledby="live-active">
        <h2 id="live-active">{t('live.active')}</h2>
        {others.length === 0 ? (
          <p class="muted">{t('live.activeNone')}</p>
        ) : (
          <ul class="plain">
            {others.map((s) => (
              <li key={s.id} data-live-session={s.id}>
                {s.level === 'emergency' && <span class="badge level-emergency">{t('level.emergency')}</span>}{' '}
                <strong>{s.startedBy.name}</strong>
                {s.title && <> — {s.title}</>}
                {' — '}
                {t('live.activeSince', { time: clock(s.startedAt, commune.timeZone) })}
                {s.id === session?.id && phase !== 'idle' && me()?.id === s.startedBy.id && <> ({t('live.yours')})</>}
                <div class="detail">
                  {t('live.activeUnits', { units: s.units.map((u) => unitName(u.unitId)).join(', ') })}
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
