// The audio of a new bulletin: a file chosen from the computer or a recording made here. It is
// uploaded at once, so a file the server cannot read is reported before the form is filled in.
// Or, instead of audio, a relay (tiếp sóng, issue #8): a station's stream the units pull themselves.
import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { bytes, duration } from '../../lib/format.js';
import { useApi } from '../../lib/use-api.js';
import { UserError } from '../../lib/errors.js';
import { uploadAudio, type UploadProgress } from '../../lib/upload.js';
import type { Bulletin, Media, Relay, WindowSpec } from '../../lib/types.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { MediaWarnings } from './MediaWarnings.js';
import { Recorder } from './Recorder.js';

export type { Relay };

export const RELAY_MINUTES = { min: 1, max: 360 } as const;
/** The server's pattern for a stream URL. */
const STREAM_URL = /^https?:\/\/[^\s]+$/;

/**
 * The relay of the form, checked as the server will check it, or a refusal in words naming the
 * field to fix. The scheme is lower-cased (the server takes only `http`/`https`), nothing else changes.
 */
export function readRelay(data: FormData): Relay | { error: UserError; field: string } {
  const raw = String(data.get('relayUrl') ?? '').trim();
  if (!raw) return { error: new UserError(t('relay.needUrl')), field: 'relay.url' };
  const url = raw.replace(/^[a-z]+:/i, (scheme) => scheme.toLowerCase());
  let host = '';
  try {
    host = new URL(url).hostname;
  } catch {
    // not a URL at all: refused just below
  }
  if (!STREAM_URL.test(url) || !host || url.length > 2000)
    return { error: new UserError(t('relay.badUrl')), field: 'relay.url' };
  const text = String(data.get('relayMinutes') ?? '').trim();
  const minutes = Number(text);
  if (!text || !Number.isInteger(minutes) || minutes < RELAY_MINUTES.min || minutes > RELAY_MINUTES.max)
    return { error: new UserError(t('relay.badMinutes')), field: 'relay.durationMs' };
  return { url, durationMs: minutes * 60_000 };
}

/** A relay's length in words: whole minutes as such, anything else (set through the API) as h:mm:ss. */
export function relayLength(ms: number): string {
  return ms % 60_000 === 0 ? t('relay.minutesValue', { n: ms / 60_000 }) : duration(ms);
}

export function RelayBadge() {
  return <span class="badge warn">{t('relay.badge')}</span>;
}

/** Longest window in minutes (a window may cross midnight). */
function longestWindow(windows: WindowSpec[]): number {
  const min = (c: string) => Number(c.slice(0, 2)) * 60 + Number(c.slice(3, 5));
  return Math.max(0, ...windows.map((w) => (min(w.end) - min(w.start) + 1440) % 1440 || 1440));
}

function RelayFields({ windows, initial }: { windows: WindowSpec[]; initial?: Relay }) {
  // The suggestions are the streams that bulletins already relay: no address is made up here.
  const list = useApi<{ bulletins: Bulletin[] }>('/api/bulletins');
  const recent = [...new Set((list.data?.bulletins ?? []).flatMap((b) => (b.relay ? [b.relay.url] : [])))];
  const [minutes, setMinutes] = useState(initial ? String(initial.durationMs / 60_000) : '30');
  const longest = longestWindow(windows);
  const tooLong = windows.length > 0 && Number(minutes) > longest;
  return (
    <div class="stack" data-testid="relay-fields">
      <label>
        {t('relay.url')}
        <input
          name="relayUrl"
          data-field="relay.url"
          type="text"
          inputMode="url"
          autoComplete="off"
          spellcheck={false}
          maxLength={2000}
          list="relay-recent"
          defaultValue={initial?.url}
          placeholder={t('relay.urlPlaceholder')}
          aria-describedby="relay-url-hint"
          style={{ overflowWrap: 'anywhere' }}
        />
      </label>
      <datalist id="relay-recent">
        {recent.map((u) => (
          <option key={u} value={u} />
        ))}
      </datalist>
      <p class="muted" id="relay-url-hint" style={{ overflowWrap: 'anywhere' }}>
        {t('relay.urlHint')} {recent.length > 0 ? t('relay.recent') : t('relay.noRecent')}
      </p>
      <label>
        {t('relay.minutes')}
        <input
          name="relayMinutes"
          data-field="relay.durationMs"
          type="number"
          inputMode="numeric"
          value={minutes}
          onInput={(e) => setMinutes((e.target as HTMLInputElement).value)}
        />
      </label>
      {tooLong && (
        <p class="note warn" role="status">
          {t('relay.longerThanWindows', { max: longest })}
        </p>
      )}
      <p class="muted">{t('relay.note')}</p>
    </div>
  );
}

export function AudioSource({
  media,
  onMedia,
  onBusy,
  relay = false,
  onRelay,
  windows = [],
  initialRelay,
}: {
  media: Media | null;
  onMedia: (m: Media | null) => void;
  /** True while a file is uploading or being processed: the form waits before saving. */
  onBusy: (busy: boolean) => void;
  /** True when the bulletin relays a stream instead of audio (its fields are read by the form). */
  relay?: boolean;
  /** Offers the relay choice (bulletins; not emergencies, whose content is audio). */
  onRelay?: (relay: boolean) => void;
  /** The commune's windows, to warn of a relay longer than any of them. */
  windows?: WindowSpec[];
  /** The stored relay of a bulletin being edited: its fields start filled in. */
  initialRelay?: Relay;
}) {
  const [mode, setMode] = useState<'file' | 'record'>('file');
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [error, setError] = useState<unknown>();
  const [preview, setPreview] = useState<string | null>(null);
  useEffect(() => () => void (preview && URL.revokeObjectURL(preview)), [preview]);

  const take = async (blob: Blob, name: string) => {
    onMedia(null);
    setError(undefined);
    setPreview(URL.createObjectURL(blob));
    setProgress({ phase: 'sending', percent: 0 });
    onBusy(true);
    try {
      onMedia(await uploadAudio(blob, name, setProgress));
    } catch (err) {
      setError(err);
    } finally {
      setProgress(null);
      onBusy(false);
    }
  };

  return (
    <fieldset class="stack" data-field="mediaSha256" tabIndex={-1}>
      <legend>{t('bulletin.audio')}</legend>
      <div class="segmented" role="radiogroup" aria-label={t('bulletin.audioSource')}>
        {(['file', 'record'] as const).map((m) => (
          <label key={m}>
            <input
              type="radio"
              name="audio-mode"
              checked={!relay && mode === m}
              onChange={() => {
                setMode(m);
                onRelay?.(false);
              }}
            />
            {t(m === 'file' ? 'bulletin.fromFile' : 'bulletin.fromMicrophone')}
          </label>
        ))}
        {onRelay && (
          <label>
            <input type="radio" name="audio-mode" checked={relay} onChange={() => onRelay(true)} />
            {t('relay.source')}
          </label>
        )}
      </div>
      {relay ? (
        <RelayFields windows={windows} initial={initialRelay} />
      ) : mode === 'file' ? (
        <label>
          {t('bulletin.chooseFile')}
          <input
            type="file"
            name="file"
            accept="audio/*,.mp3,.wav,.m4a,.ogg,.opus,.webm,.aac,.flac"
            onChange={(e) => {
              const file = (e.target as HTMLInputElement).files?.[0];
              if (file) void take(file, file.name);
            }}
          />
        </label>
      ) : (
        <Recorder onRecorded={(blob, name) => void take(blob, name)} />
      )}
      {progress && (
        <p role="status">
          {progress.phase === 'sending' ? t('upload.sending') : t('upload.processing')}{' '}
          <progress max={100} value={progress.percent} /> {progress.percent}%
        </p>
      )}
      <ErrorNote error={error} />
      {!relay && preview && (
        <audio controls src={preview} preload="metadata" aria-label={t('bulletin.preview')}>
          {t('bulletin.noPlayer')}
        </audio>
      )}
      {!relay && media && (
        <p class="note ok" role="status" data-testid="media-ready">
          {t('upload.ready', { duration: duration(media.durationMs), size: bytes(media.bytes) })}
        </p>
      )}
      {!relay && media && <MediaWarnings warnings={media.warnings} />}
    </fieldset>
  );
}
