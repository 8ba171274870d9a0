// Phát khẩn cấp (issue #8, DESIGN §5 rule 4): content (text read aloud, a stored media, an upload
// or recording, or live speech), targets, repeat, volume, validity; one big button that only arms a
// confirm step, so a stray click cannot wake a commune. What each unit answered shows as it arrives.
// Live speech is the live screen's work: the choice opens it with the emergency level ticked.
import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { api, query } from '../../lib/api.js';
import { can } from '../../lib/session.js';
import { duration } from '../../lib/format.js';
import { href } from '../../lib/router.js';
import { useApi, useLiveReload } from '../../lib/use-api.js';
import type { Media, Zone } from '../../lib/types.js';
import { useCommune } from '../../data/communes.js';
import { useUnits } from '../../data/units.js';
import { UserError } from '../../lib/errors.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { useAction } from '../../ui/use-action.js';
import { AudioSource } from '../bulletins/AudioSource.js';
import { EmergencyResult, type EmergencyView } from './Result.js';
import './emergency.css';

export default function EmergencyScreen() {
  const commune = useCommune();
  const zones = useApi<{ zones: Zone[] }>(commune ? `/api/zones${query({ communeId: commune.id })}` : null);
  const stored = useApi<{ media: Media[] }>('/api/media');
  const { byId } = useUnits();
  const units = [...byId.values()].filter((u) => u.communeId === commune?.id);
  const [mode, setMode] = useState<'tts' | 'stored' | 'upload' | 'live'>('tts');
  const [text, setText] = useState('');
  const [storedSha, setStoredSha] = useState('');
  const [uploaded, setUploaded] = useState<Media | null>(null);
  const [uploadBusy, setUploadBusy] = useState(false);
  const [whole, setWhole] = useState(true);
  const [zoneIds, setZoneIds] = useState<string[]>([]);
  const [unitIds, setUnitIds] = useState<string[]>([]);
  const [repeat, setRepeat] = useState(3);
  const [volume, setVolume] = useState(100);
  const [minutes, setMinutes] = useState(5);
  const [armed, setArmed] = useState(false);
  const [sure, setSure] = useState(false);
  const [sent, setSent] = useState<EmergencyView | null>(null);
  const { busy, error, run, setError } = useAction();
  const view = useApi<EmergencyView>(sent ? `/api/emergency/${sent.id}` : null);
  useLiveReload(['command-ack'], view.reload);

  if (!commune) return <p class="muted">{t('emergency.noCommune')}</p>;
  const toggle = (list: string[], set: (l: string[]) => void, id: string) =>
    set(list.includes(id) ? list.filter((x) => x !== id) : [...list, id]);

  const content = () => {
    if (mode === 'tts') return text.trim() ? { ttsText: text.trim() } : undefined;
    const sha = mode === 'stored' ? storedSha : uploaded?.sha256;
    return sha ? { sha256: sha } : undefined;
  };
  const targets = whole ? { commune: true } : { zoneIds, unitIds };
  const arm = () => {
    if (!content()) return setError(new UserError(t('emergency.needContent')));
    if (!whole && !zoneIds.length && !unitIds.length) return setError(new UserError(t('emergency.needTargets')));
    setError(undefined);
    setSure(false);
    setArmed(true);
  };
  const fire = () =>
    void run(async () => {
      const res = await api.post<EmergencyView>('/api/emergency', {
        communeId: commune.id,
        content: content(),
        targets,
        repeat,
        volume,
        validSeconds: minutes * 60,
      });
      setSent(res);
      setArmed(false);
    });

  const result = view.data ?? sent;
  return (
    <div class="stack emergency">
      <h1>{t('nav.emergency')}</h1>
      <p class="note">{t('emergency.intro')}</p>
      <fieldset class="stack" data-field="content" tabIndex={-1}>
        <legend>{t('emergency.content')}</legend>
        <div class="segmented" role="radiogroup" aria-label={t('emergency.content')}>
          {(
            [
              'tts',
              'stored',
              ...(can('media:upload') ? (['upload'] as const) : []),
              ...(can('live') ? (['live'] as const) : []),
            ] as const
          ).map((m) => (
            <label key={m}>
              <input type="radio" name="content-mode" checked={mode === m} onChange={() => setMode(m)} />
              {t(`emergency.mode.${m}`)}
            </label>
          ))}
        </div>
        {mode === 'tts' && (
          <label>
            {t('emergency.text')}
            <textarea
              name="ttsText"
              rows={4}
              maxLength={5000}
              value={text}
              onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
            />
          </label>
        )}
        {mode === 'stored' && (
          <label>
            {t('emergency.storedMedia')}
            <select
              name="sha256"
              value={storedSha}
              onChange={(e) => setStoredSha((e.target as HTMLSelectElement).value)}
            >
              <option value="">—</option>
              {(stored.data?.media ?? []).map((m) => (
                <option key={m.sha256} value={m.sha256}>
                  {(m.originalName ?? m.sha256.slice(0, 12)) + ` (${duration(m.durationMs)})`}
                </option>
              ))}
            </select>
          </label>
        )}
        {mode === 'upload' && <AudioSource media={uploaded} onMedia={setUploaded} onBusy={setUploadBusy} />}
        {mode === 'live' && (
          <>
            <p>{t('emergency.liveNote')}</p>
            <a class="button danger emergency-button" href={`${href('live')}?level=emergency`}>
              {t('emergency.openLive')}
            </a>
          </>
        )}
      </fieldset>
      {mode !== 'live' && (
        <>
          <fieldset data-field="targets" tabIndex={-1}>
            <legend>{t('emergency.targets')}</legend>
            <label class="inline">
              <input
                type="checkbox"
                name="whole"
                checked={whole}
                onChange={(e) => setWhole((e.target as HTMLInputElement).checked)}
              />
              {t('bulletin.wholeCommune')}
            </label>
            {!whole && (
              <div class="checks" role="group" aria-label={t('emergency.targets')}>
                {(zones.data?.zones ?? []).map((z) => (
                  <label key={z.id} class="inline">
                    <input
                      type="checkbox"
                      name="zoneIds"
                      value={z.id}
                      checked={zoneIds.includes(z.id)}
                      onChange={() => toggle(zoneIds, setZoneIds, z.id)}
                    />
                    {z.name}
                  </label>
                ))}
                {units.map((u) => (
                  <label key={u.id} class="inline">
                    <input
                      type="checkbox"
                      name="unitIds"
                      value={u.id}
                      checked={unitIds.includes(u.id)}
                      onChange={() => toggle(unitIds, setUnitIds, u.id)}
                    />
                    {u.name}
                  </label>
                ))}
              </div>
            )}
          </fieldset>
          <div class="row">
            <label data-field="repeat">
              {t('emergency.repeat')}
              <input
                type="number"
                name="repeat"
                class="narrow"
                min={1}
                max={10}
                value={repeat}
                onInput={(e) => setRepeat(Number((e.target as HTMLInputElement).value))}
              />
            </label>
            <label data-field="volume">
              {t('emergency.volume')}: <output>{volume}</output>
              <input
                type="range"
                name="volume"
                min={0}
                max={100}
                value={volume}
                onInput={(e) => setVolume(Number((e.target as HTMLInputElement).value))}
              />
            </label>
            <label data-field="validSeconds">
              {t('emergency.validMinutes')}
              <input
                type="number"
                name="validMinutes"
                class="narrow"
                min={1}
                max={60}
                value={minutes}
                onInput={(e) => setMinutes(Number((e.target as HTMLInputElement).value))}
              />
            </label>
          </div>
          <ErrorNote error={error} />
          {!armed ? (
            <button type="button" class="danger emergency-button" disabled={busy || uploadBusy} onClick={arm}>
              {t('emergency.button')}
            </button>
          ) : (
            <section class="card warn stack" role="alertdialog" aria-labelledby="emergency-confirm">
              <h2 id="emergency-confirm">{t('emergency.confirmTitle')}</h2>
              <p>
                {t('emergency.confirmText', {
                  targets: whole ? t('bulletin.wholeCommune') : String(zoneIds.length + unitIds.length),
                  repeat,
                  volume,
                })}
              </p>
              <label class="inline">
                <input
                  type="checkbox"
                  name="sure"
                  checked={sure}
                  onChange={(e) => setSure((e.target as HTMLInputElement).checked)}
                />
                {t('emergency.sure')}
              </label>
              <div class="row">
                <button type="button" class="danger" disabled={!sure || busy} onClick={fire}>
                  {t('emergency.confirm')}
                </button>
                <button type="button" onClick={() => setArmed(false)} disabled={busy}>
                  {t('emergency.cancel')}
                </button>
              </div>
            </section>
          )}
        </>
      )}
      {result && <EmergencyResult result={result} units={byId} timeZone={commune.timeZone} onStopped={view.reload} />}
    </div>
  );
}
