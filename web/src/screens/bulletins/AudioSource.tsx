// The audio of a new bulletin: a file chosen from the computer or a recording made here. It is
// uploaded at once, so a file the server cannot read is reported before the form is filled in.
import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { bytes, duration } from '../../lib/format.js';
import { uploadAudio, type UploadProgress } from '../../lib/upload.js';
import type { Media } from '../../lib/types.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { Recorder } from './Recorder.js';

export function AudioSource({
  media,
  onMedia,
  onBusy,
}: {
  media: Media | null;
  onMedia: (m: Media | null) => void;
  /** True while a file is uploading or being processed: the form waits before saving. */
  onBusy: (busy: boolean) => void;
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
            <input type="radio" name="audio-mode" checked={mode === m} onChange={() => setMode(m)} />
            {t(m === 'file' ? 'bulletin.fromFile' : 'bulletin.fromMicrophone')}
          </label>
        ))}
      </div>
      {mode === 'file' ? (
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
      {preview && (
        <audio controls src={preview} preload="metadata" aria-label={t('bulletin.preview')}>
          {t('bulletin.noPlayer')}
        </audio>
      )}
      {media && (
        <p class="note ok" role="status" data-testid="media-ready">
          {t('upload.ready', { duration: duration(media.durationMs), size: bytes(media.bytes) })}
        </p>
      )}
    </fieldset>
  );
}
