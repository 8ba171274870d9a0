// Writing a bulletin (DESIGN §4): audio (or a stream to relay, issue #8), level, where (commune,
// zones, units), when (days, windows or pinned times), repeats, validity and volume. Saved as a
// draft, or saved and sent for approval.
import { useState } from 'preact/hooks';
import { t, type Key } from '../../i18n/index.js';
import { api, ApiError, query } from '../../lib/api.js';
import { href, navigate } from '../../lib/router.js';
import { can } from '../../lib/session.js';
import { useApi } from '../../lib/use-api.js';
import { fromLocalInput, toLocalInput } from '../../lib/local-time.js';
import type { Bulletin, Commune, Level, Media, Zone } from '../../lib/types.js';
import { useUnits } from '../../data/units.js';
import { UserError } from '../../lib/errors.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { focusField, useAction } from '../../ui/use-action.js';
import { AudioSource, readRelay, type Relay } from './AudioSource.js';

/** Monday first, as Vietnamese calendars are read; values are 0 = Sunday … 6 (the API's). */
export const WEEK = [1, 2, 3, 4, 5, 6, 0] as const;

export function BulletinForm({ commune }: { commune: Commune }) {
  const tz = commune.timeZone;
  const zones = useApi<{ zones: Zone[] }>(`/api/zones${query({ communeId: commune.id })}`);
  const { byId } = useUnits();
  const units = [...byId.values()].filter((u) => u.communeId === commune.id);
  const [media, setMedia] = useState<Media | null>(null);
  const [audioBusy, setAudioBusy] = useState(false);
  const [relay, setRelay] = useState(false);
  const [level, setLevel] = useState<Level>('ordinary');
  const [whole, setWhole] = useState(true);
  const [when, setWhen] = useState<'windows' | 'pinned'>('windows');
  const [pinned, setPinned] = useState<string[]>(['']);
  const [volume, setVolume] = useState(80);
  const now = Date.now();
  const { busy, error, run, setError } = useAction();

  const submit = (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const andSubmit = (e as SubmitEvent).submitter?.getAttribute('value') === 'submit';
    let source: { mediaSha256: string } | { relay: Relay };
    if (relay) {
      const read = readRelay(data);
      if ('error' in read) {
        setError(read.error);
        focusField(read.field);
        return;
      }
      source = { relay: read };
    } else {
      if (!media) return setError(new UserError(t('bulletin.needAudio')));
      source = { mediaSha256: media.sha256 };
    }
    const validFrom = fromLocalInput(String(data.get('validFrom')), tz);
    const validUntil = fromLocalInput(String(data.get('validUntil')), tz);
    if (validFrom === undefined || validUntil === undefined) return setError(new UserError(t('bulletin.needValidity')));
    const zoneIds = data.getAll('zoneIds').map(String);
    const unitIds = data.getAll('unitIds').map(String);
    const windowIds = data.getAll('windowIds').map(String);
    const body = {
      communeId: commune.id,
      title: String(data.get('title')).trim(),
      text: String(data.get('text') ?? '').trim() || undefined,
      level,
      ...source,
      targets: { commune: whole, zoneIds: whole ? [] : zoneIds, unitIds: whole ? [] : unitIds },
      recurrence: {
        days: data.getAll('days').map(Number),
        ...(when === 'pinned' ? { pinnedTimes: pinned.filter(Boolean) } : windowIds.length > 0 ? { windowIds } : {}),
      },
      repeat: { count: Number(data.get('repeatCount')), gapSeconds: Number(data.get('repeatGap')) },
      validFrom: new Date(validFrom).toISOString(),
      validUntil: new Date(validUntil).toISOString(),
      volume,
    };
    void run(async () => {
      const created = await api.post<Bulletin>('/api/bulletins', body).catch((err: unknown) => {
        // The server's refusal of the stream or its length, in the words of the relay fields.
        if (err instanceof ApiError && err.code === 'invalid-request' && err.field?.startsWith('relay.')) {
          const code = err.field === 'relay.url' ? 'relay-url' : 'relay-duration';
          throw new ApiError(err.status, code, err.message, err.field);
        }
        throw err;
      });
      if (andSubmit) await api.post(`/api/bulletins/${encodeURIComponent(created.id)}/submit`);
      navigate(href('bulletins', created.id));
    });
  };

  const levels: Level[] = can('emergency') ? ['ordinary', 'priority', 'emergency'] : ['ordinary', 'priority'];
  return (
    <form class="stack form" onSubmit={submit}>
      <h1>{t('bulletin.new')}</h1>
      <label>
        {t('bulletin.title')}
        <input name="title" data-field="title" required maxLength={300} />
      </label>
      <label>
        {t('bulletin.text')} <span class="muted">({t('app.optional')})</span>
        <textarea name="text" rows={3} maxLength={20000} />
      </label>
      <AudioSource
        media={media}
        onMedia={setMedia}
        onBusy={setAudioBusy}
        relay={relay}
        onRelay={setRelay}
        windows={commune.windows}
      />
      <fieldset data-field="level" tabIndex={-1}>
        <legend>{t('bulletin.level')}</legend>
        {levels.map((l) => (
          <label key={l} class="option">
            <input type="radio" name="level" value={l} checked={level === l} onChange={() => setLevel(l)} />
            <span>
              {t(`level.${l}`)} <span class="muted">— {t(`level.${l}.hint` as Key)}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <fieldset data-field="targets" tabIndex={-1}>
        <legend>{t('bulletin.targets')}</legend>
        <label class="inline">
          <input type="checkbox" checked={whole} onChange={(e) => setWhole((e.target as HTMLInputElement).checked)} />
          {t('bulletin.wholeCommune')}
        </label>
        {!whole && (
          <div class="stack">
            {(zones.data?.zones ?? []).length > 0 && (
              <div class="checks" role="group" aria-label={t('nav.zones')}>
                {zones.data!.zones.map((z) => (
                  <label key={z.id} class="inline">
                    <input type="checkbox" name="zoneIds" value={z.id} />
                    {z.name}
                  </label>
                ))}
              </div>
            )}
            <details>
              <summary>{t('bulletin.someUnits', { n: units.length })}</summary>
              <div class="checks">
                {units.map((u) => (
                  <label key={u.id} class="inline">
                    <input type="checkbox" name="unitIds" value={u.id} />
                    {u.name}
                  </label>
                ))}
              </div>
            </details>
          </div>
        )}
      </fieldset>
      <fieldset data-field="recurrence" tabIndex={-1}>
        <legend>{t('bulletin.when')}</legend>
        <div class="checks" role="group" aria-label={t('bulletin.days')}>
          {WEEK.map((d) => (
            <label key={d} class="inline">
              <input type="checkbox" name="days" value={d} defaultChecked />
              {t(`day.${d}` as Key)}
            </label>
          ))}
        </div>
        <label class="inline">
          <input type="radio" name="when" checked={when === 'windows'} onChange={() => setWhen('windows')} />
          {t('bulletin.inWindows')}
        </label>
        {when === 'windows' && (
          <div
            class="checks"
            role="group"
            aria-label={t('schedule.windows')}
            data-field="recurrence.windowIds"
            tabIndex={-1}
          >
            {commune.windows.map((w) => (
              <label key={w.id} class="inline">
                <input type="checkbox" name="windowIds" value={w.id} />
                {w.start}–{w.end}
              </label>
            ))}
            <span class="muted">{t('bulletin.allWindowsHint')}</span>
          </div>
        )}
        <label class="inline">
          <input type="radio" name="when" checked={when === 'pinned'} onChange={() => setWhen('pinned')} />
          {t('bulletin.pinned')}
        </label>
        {when === 'pinned' && (
          <div class="stack" data-field="recurrence.pinnedTimes" tabIndex={-1}>
            {pinned.map((p, i) => (
              <label key={i} class="inline">
                {t('bulletin.pinnedTime')}
                <input
                  type="time"
                  step={1}
                  required
                  value={p}
                  onInput={(e) => setPinned(pinned.map((x, j) => (j === i ? (e.target as HTMLInputElement).value : x)))}
                />
              </label>
            ))}
            <button type="button" onClick={() => setPinned([...pinned, ''])}>
              + {t('bulletin.addTime')}
            </button>
          </div>
        )}
      </fieldset>
      <div class="grid2">
        <label>
          {t('bulletin.repeatCount')}
          <input name="repeatCount" type="number" min={1} max={20} defaultValue="1" data-field="repeat.count" />
        </label>
        <label>
          {t('bulletin.repeatGap')}
          <input name="repeatGap" type="number" min={0} max={3600} defaultValue="0" data-field="repeat.gapSeconds" />
        </label>
        <label>
          {t('bulletin.validFrom')}
          <input
            name="validFrom"
            data-field="validFrom"
            type="datetime-local"
            required
            defaultValue={toLocalInput(now, tz)}
          />
        </label>
        <label>
          {t('bulletin.validUntil')}
          <input
            name="validUntil"
            data-field="validUntil"
            type="datetime-local"
            required
            defaultValue={toLocalInput(now + 7 * 86_400_000, tz)}
          />
        </label>
      </div>
      <label>
        {t('bulletin.volume')}: <output>{volume}</output>
        <input
          type="range"
          min={0}
          max={100}
          value={volume}
          data-field="volume"
          onInput={(e) => setVolume(Number((e.target as HTMLInputElement).value))}
        />
      </label>
      <p class="muted">{t('bulletin.tzNote', { tz })}</p>
      <ErrorNote error={error} />
      <div class="row">
        <button type="submit" name="action" value="draft" disabled={busy || (audioBusy && !relay)}>
          {t('bulletin.saveDraft')}
        </button>
        <button type="submit" name="action" value="submit" class="primary" disabled={busy || (audioBusy && !relay)}>
          {t('bulletin.saveSubmit')}
        </button>
        <a href={href('bulletins')}>{t('action.cancel')}</a>
      </div>
    </form>
  );
}
