// `<input type="datetime-local">` values read and written in the commune's time zone (DESIGN §4),
// whatever zone the browser's computer is set to.
import { formatClock, fromZoned, parseClock, toZoned } from '@loa/shared';

export function toLocalInput(ms: number, timeZone: string): string {
  const z = toZoned(ms, timeZone);
  return `${z.date}T${formatClock(Math.floor(z.seconds / 60) * 60).slice(0, 5)}`;
}

/** The instant, or undefined when the value is not a complete date and time. */
export function fromLocalInput(value: string, timeZone: string): number | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?)/.exec(value);
  const seconds = m ? parseClock(m[2]!) : undefined;
  return m && seconds !== undefined ? fromZoned(m[1]!, seconds, timeZone) : undefined;
}
