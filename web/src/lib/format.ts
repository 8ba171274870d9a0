// Dates, times and sizes as people read them, in the commune's own time zone (DESIGN §4: windows
// and pinned times are local time), never the browser's.
import { locale, t } from '../i18n/index.js';

const cache = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale()}|${timeZone}|${JSON.stringify(options)}`;
  let f = cache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale(), { timeZone, hourCycle: 'h23', ...options });
    cache.set(key, f);
  }
  return f;
}

export const clock = (ms: number, tz: string, seconds = false) =>
  formatter(tz, { hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}) }).format(ms);

export const dateTime = (ms: number, tz: string) =>
  formatter(tz, { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(ms);

export const day = (ms: number, tz: string) =>
  formatter(tz, { weekday: 'short', day: '2-digit', month: '2-digit' }).format(ms);

/** "3 phút trước" / "3 min ago". */
export function ago(ms: number | null, now = Date.now()): string {
  if (ms === null) return t('time.never');
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return t('time.secondsAgo', { n: s });
  if (s < 3600) return t('time.minutesAgo', { n: Math.floor(s / 60) });
  if (s < 86400) return t('time.hoursAgo', { n: Math.floor(s / 3600) });
  return t('time.daysAgo', { n: Math.floor(s / 86400) });
}

/** m:ss or h:mm:ss. */
export function duration(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(0)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(1)} GB`;
}
