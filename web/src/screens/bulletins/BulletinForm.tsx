// Writing a bulletin (DESIGN §4): audio (or a stream to relay, issue #8), level, where (commune,
// zones, units), when (days, windows or pinned times), repeats, validity and volume. Saved as a
// draft, or saved and sent for approval. The same form edits a draft or a rejected bulletin
// (issue #3), filled in with what is stored; its state and save are use-bulletin-form.ts.
import { t, type Key } from '../../i18n/index.js';
import { query } from '../../lib/api.js';
import { href } from '../../lib/router.js';
import { can } from '../../lib/session.js';
import { useApi } from '../../lib/use-api.js';
import { toLocalInput } from '../../lib/local-time.js';
import type { Bulletin, Commune, Level, Media, Zone } from '../../lib/types.js';
import { useUnits } from '../../data/units.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { AudioSource } from './AudioSource.js';
import { useBulletinForm } from './use-bulletin-form.js';

/** Monday first, as Vietnamese calendars are read; values are 0 = Sunday … 6 (the API's). */
export const WEEK = [1, 2, 3, 4, 5, 6, 0] as const;

/** `initial`: the bulletin to edit, with its audio; without it, a new bulletin. */
export function BulletinForm({
  commune,
  initial,
  initialMedia,
}: {
  commune: Commune;
  initial?: Bulletin;
  initialMedia?: Media | null;
}) {
  const tz = commune.timeZone;
  const zones = useApi<{ zones: Zone[] }>(`/api/zones${query({ communeId: commune.id })}`);
  const { byId } = useUnits();
  const units = [...byId.values()].filter((u) => u.communeId === commune.id);
  const f = useBulletinForm(commune, initial, initialMedia);
  const { busy, error, level, whole, when, pinned, volume } = f;
  const now = Date.now();
  const chosen = (list: string[] | undefined, id: string) => list?.includes(id) ?? false;
  const pickedUnits = (initial?.targets.unitIds?.length ?? 0) > 0;

  const levels: Level[] = can('emergency') ? ['ordinary', 'priority', 'emergency'] : ['ordinary', 'priority'];
  return (
    <form class="stack form" onSubmit={f.submit}>
      <h1>{t(initial ? 'bulletin.editTitle' : 'bulletin.new')}</h1>
      {initial?.state === 'rejected' && (
        <p class="note warn">{t('bulletin.editRejected', { reason: initial.rejectedReason ?? '—' })}</p>
      )}
      <label>
        {t('bulletin.title')}
        <input name="title" data-field="title" required maxLength={300} defaultValue={initial?.title} />
      </label>
      <label>
        {t('bulletin.text')} <span class="muted">({t('app.optional')})</span>
        <textarea name="text" rows={3} maxLength={20000} defaultValue={initial?.text ?? ''} />
      </label>
      <AudioSource
        media={f.media}
        onMedia={f.setMedia}
        onBusy={f.setAudioBusy}
        relay={f.relay}
        onRelay={f.setRelay}
        initialRelay={initial?.relay ?? undefined}
        windows={commune.windows}
      />
      <fieldset data-field="level" tabIndex={-1}>
        <legend>{t('bulletin.level')}</legend>
        {levels.map((l) => (
          <label key={l} class="option">
            <input type="radio" name="level" value={l} checked={level === l} onChange={() => f.setLevel(l)} />
            <span>
              {t(`level.${l}`)} <span class="muted">— {t(`level.${l}.hint` as Key)}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <fieldset data-field="targets" tabIndex={-1}>
        <legend>{t('bulletin.targets')}</legend>
        <label class="inline">
          <input type="checkbox" checked={whole} onChange={(e) => f.setWhole((e.target as HTMLInputElement).checked)} />
          {t('bulletin.wholeCommune')}
        </label>
        {!whole && (
          <div class="stack">
            {(zones.data?.zones ?? []).length > 0 && (
              <div class="checks" role="group" aria-label={t('nav.zones')}>
                {zones.data!.zones.map((z) => (
                  <label key={z.id} class="inline">
                    <input
                      type="checkbox"
                      name="zoneIds"
                      value={z.id}
                      defaultChecked={chosen(initial?.targets.zoneIds, z.id)}
                    />
                    {z.name}
                  </label>
                ))}
              </div>
            )}
            <details open={pickedUnits}>
              <summary>{t('bulletin.someUnits', { n: units.length })}</summary>
              <div class="checks">
                {units.map((u) => (
                  <label key={u.id} class="inline">
                    <input
                      type="checkbox"
                      name="unitIds"
                      value={u.id}
                      defaultChecked={chosen(initial?.targets.unitIds, u.id)}
                    />
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
              <input
                type="checkbox"
                name="days"
                value={d}
                defaultChecked={initial ? initial.recurrence.days.includes(d) : true}
              />
              {t(`day.${d}` as Key)}
            </label>
          ))}
        </div>
        <label class="inline">
          <input type="radio" name="when" checked={when === 'windows'} onChange={() => f.setWhen('windows')} />
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
                <input
                  type="checkbox"
                  name="windowIds"
                  value={w.id}
                  defaultChecked={chosen(initial?.recurrence.windowIds, w.id)}
                />
                {w.start}–{w.end}
              </label>
            ))}
            <span class="muted">{t('bulletin.allWindowsHint')}</span>
          </div>
        )}
        <label class="inline">
          <input type="radio" name="when" checked={when === 'pinned'} onChange={() => f.setWhen('pinned')} />
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
                  onInput={(e) =>
                    f.setPinned(pinned.map((x, j) => (j === i ? (e.target as HTMLInputElement).value : x)))
                  }
                />
              </label>
            ))}
            <button type="button" onClick={() => f.setPinned([...pinned, ''])}>
              + {t('bulletin.addTime')}
            </button>
          </div>
        )}
      </fieldset>
      <div class="grid2">
        <label>
          {t('bulletin.repeatCount')}
          <input
            name="repeatCount"
            type="number"
            min={1}
            max={20}
            defaultValue={String(initial?.repeat.count ?? 1)}
            data-field="repeat.count"
          />
        </label>
        <label>
          {t('bulletin.repeatGap')}
          <input
            name="repeatGap"
            type="number"
            min={0}
            max={3600}
            defaultValue={String(initial?.repeat.gapSeconds ?? 0)}
            data-field="repeat.gapSeconds"
          />
        </label>
        <label>
          {t('bulletin.validFrom')}
          <input
            name="validFrom"
            data-field="validFrom"
            type="datetime-local"
            required
            defaultValue={toLocalInput(initial ? Date.parse(initial.validFrom) : now, tz)}
          />
        </label>
        <label>
          {t('bulletin.validUntil')}
          <input
            name="validUntil"
            data-field="validUntil"
            type="datetime-local"
            required
            defaultValue={toLocalInput(initial ? Date.parse(initial.validUntil) : now + 7 * 86_400_000, tz)}
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
          onInput={(e) => f.setVolume(Number((e.target as HTMLInputElement).value))}
        />
      </label>
      <p class="muted">{t('bulletin.tzNote', { tz })}</p>
      <ErrorNote error={error} />
      <div class="row">
        <button type="submit" name="action" value="draft" disabled={busy || (f.audioBusy && !f.relay)}>
          {t(initial ? 'bulletin.saveEdit' : 'bulletin.saveDraft')}
        </button>
        <button type="submit" name="action" value="submit" class="primary" disabled={busy || (f.audioBusy && !f.relay)}>
          {t('bulletin.saveSubmit')}
        </button>
        <a href={initial ? href('bulletins', initial.id) : href('bulletins')}>{t('action.cancel')}</a>
      </div>
    </form>
  );
}
