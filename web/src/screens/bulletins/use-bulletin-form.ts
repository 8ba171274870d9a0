// The state of the bulletin form and its save: a new bulletin (POST) or an edit of a draft or a
// rejected one (PATCH with only what changed, issue #3), then, when asked, sent for approval.
import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { api, ApiError } from '../../lib/api.js';
import { href, navigate } from '../../lib/router.js';
import { UserError } from '../../lib/errors.js';
import type { Bulletin, Commune, Level, Media } from '../../lib/types.js';
import { focusField, useAction } from '../../ui/use-action.js';
import { readRelay } from './AudioSource.js';
import { createBody, editPatch, type FormReading } from './bulletin-body.js';

/** The server's refusal of the stream or its length, in the words of the relay fields. */
function relayError(err: unknown): never {
  if (err instanceof ApiError && err.code === 'invalid-request' && err.field?.startsWith('relay.')) {
    const code = err.field === 'relay.url' ? 'relay-url' : 'relay-duration';
    throw new ApiError(err.status, code, err.message, err.field);
  }
  throw err;
}

/**
 * `initial`: the bulletin being edited (its audio in `initialMedia`); without it, a new one.
 */
export function useBulletinForm(commune: Commune, initial?: Bulletin, initialMedia?: Media | null) {
  const [media, setMedia] = useState<Media | null>(initialMedia ?? null);
  const [audioBusy, setAudioBusy] = useState(false);
  const [relay, setRelay] = useState(!!initial?.relay);
  const [level, setLevel] = useState<Level>(initial?.level ?? 'ordinary');
  const [whole, setWhole] = useState(initial ? !!initial.targets.commune : true);
  const [when, setWhen] = useState<'windows' | 'pinned'>(
    initial?.recurrence.pinnedTimes?.length ? 'pinned' : 'windows',
  );
  const [pinned, setPinned] = useState<string[]>(initial?.recurrence.pinnedTimes ?? ['']);
  const [volume, setVolume] = useState(initial?.volume ?? 80);
  const action = useAction();
  const tz = commune.timeZone;

  /** The form as read now, or a refusal in words already shown (and its field focused). */
  function read(data: FormData): FormReading | undefined {
    let source: FormReading['source'];
    if (relay) {
      const r = readRelay(data);
      if ('error' in r) {
        action.setError(r.error);
        focusField(r.field);
        return undefined;
      }
      source = { relay: r };
    } else {
      if (!media) return void action.setError(new UserError(t('bulletin.needAudio')));
      source = { mediaSha256: media.sha256 };
    }
    const zoneIds = data.getAll('zoneIds').map(String);
    const unitIds = data.getAll('unitIds').map(String);
    const windowIds = data.getAll('windowIds').map(String);
    return {
      title: String(data.get('title')).trim(),
      text: String(data.get('text') ?? '').trim(),
      level,
      source,
      targets: { commune: whole, zoneIds: whole ? [] : zoneIds, unitIds: whole ? [] : unitIds },
      recurrence: {
        days: data.getAll('days').map(Number),
        ...(when === 'pinned' ? { pinnedTimes: pinned.filter(Boolean) } : windowIds.length > 0 ? { windowIds } : {}),
      },
      repeat: { count: Number(data.get('repeatCount')), gapSeconds: Number(data.get('repeatGap')) },
      validFrom: String(data.get('validFrom')),
      validUntil: String(data.get('validUntil')),
      volume,
    };
  }

  const submit = (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const andSubmit = (e as SubmitEvent).submitter?.getAttribute('value') === 'submit';
    const reading = read(data);
    if (!reading) return;
    const body = initial ? editPatch(initial, reading, tz) : createBody(reading, tz);
    if (!body) return action.setError(new UserError(t('bulletin.needValidity')));
    // Nothing changed: saying so here rather than sending an empty edit the server refuses.
    if (initial && Object.keys(body).length === 0 && !andSubmit)
      return action.setError(new UserError(t('error.empty-edit')));
    void action.run(async () => {
      let saved: Bulletin;
      if (!initial)
        saved = await api.post<Bulletin>('/api/bulletins', { communeId: commune.id, ...body }).catch(relayError);
      else if (Object.keys(body).length > 0)
        saved = await api.patch<Bulletin>(`/api/bulletins/${encodeURIComponent(initial.id)}`, body).catch(relayError);
      else saved = initial;
      if (andSubmit) await api.post(`/api/bulletins/${encodeURIComponent(saved.id)}/submit`);
      navigate(href('bulletins', saved.id));
    });
  };

  return {
    media,
    setMedia,
    audioBusy,
    setAudioBusy,
    relay,
    setRelay,
    level,
    setLevel,
    whole,
    setWhole,
    when,
    setWhen,
    pinned,
    setPinned,
    volume,
    setVolume,
    submit,
    busy: action.busy,
    error: action.error,
  };
}
