// Recording a bulletin from the microphone (MediaRecorder → Opus in WebM), for the operator who
// reads the announcement aloud rather than bringing a file.
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { duration } from '../../lib/format.js';

const TYPES = ['audio/webm;codecs=opus', 'audio/webm', 'audio/ogg;codecs=opus', 'audio/mp4'];

export function Recorder({ onRecorded }: { onRecorded: (blob: Blob, name: string) => void }) {
  const [state, setState] = useState<'idle' | 'recording' | 'error'>('idle');
  const [error, setError] = useState('');
  const [elapsed, setElapsed] = useState(0);
  const recorder = useRef<MediaRecorder | null>(null);
  const stream = useRef<MediaStream | null>(null);

  const release = () => {
    stream.current?.getTracks().forEach((track) => track.stop());
    stream.current = null;
  };
  useEffect(
    () => () => {
      if (recorder.current?.state === 'recording') recorder.current.stop();
      release();
    },
    [],
  );
  useEffect(() => {
    if (state !== 'recording') return;
    const started = Date.now();
    const timer = setInterval(() => setElapsed(Date.now() - started), 250);
    return () => clearInterval(timer);
  }, [state]);

  // Browsers lend the microphone only to pages opened over https (or on this very machine): on
  // http://192.168.x.x there is no navigator.mediaDevices at all, which is the address's fault,
  // not the browser's. Said first, so the operator is not sent to look for another browser.
  if (!window.isSecureContext) return <p class="note">{t('recorder.insecure')}</p>;
  if (typeof MediaRecorder === 'undefined' || !navigator.mediaDevices?.getUserMedia)
    return <p class="note">{t('recorder.unsupported')}</p>;

  const start = async () => {
    setError('');
    try {
      stream.current = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: false, noiseSuppression: true },
      });
    } catch (err) {
      setState('error');
      setError(
        err instanceof DOMException && err.name === 'NotAllowedError'
          ? t('recorder.denied')
          : t('recorder.noMicrophone'),
      );
      return;
    }
    const mimeType = TYPES.find((type) => MediaRecorder.isTypeSupported(type));
    const rec = new MediaRecorder(stream.current, mimeType ? { mimeType } : undefined);
    const chunks: Blob[] = [];
    rec.ondataavailable = (e) => e.data.size > 0 && chunks.push(e.data);
    rec.onstop = () => {
      release();
      setState('idle');
      const type = rec.mimeType || mimeType || 'audio/webm';
      const blob = new Blob(chunks, { type });
      const ext = type.includes('ogg') ? 'ogg' : type.includes('mp4') ? 'm4a' : 'webm';
      if (blob.size > 0)
        onRecorded(blob, `ghi-am-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.${ext}`);
    };
    recorder.current = rec;
    rec.start(1000);
    setElapsed(0);
    setState('recording');
  };
  const stop = () => recorder.current?.stop();

  return (
    <div class="recorder">
      {state !== 'recording' ? (
        <button type="button" onClick={() => void start()}>
          ● {t('recorder.start')}
        </button>
      ) : (
        <button type="button" class="danger" onClick={stop}>
          ■ {t('recorder.stop')}
        </button>
      )}
      {state === 'recording' && (
        <span role="status" class="rec-time">
          {t('recorder.recording')} {duration(elapsed)}
        </span>
      )}
      {error && (
        <p class="note error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
