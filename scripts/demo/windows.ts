// The demo's windows: the national defaults plus a short 'demo' window opening soon after launch,
// whatever the hour. A window may cross midnight (DESIGN §4), so one opened at 23:58 runs to
// 00:08; where it overlaps a default window the two become one.
import { formatClock, validateWindows, type WindowSpec } from '@loa/shared';

const DAY = 86_400;
const DEFAULTS = [
  { id: 'morning', start: 5 * 3600, end: 7 * 3600 + 30 * 60 },
  { id: 'evening', start: 17 * 3600, end: 19 * 3600 },
];

/**
 * `openAt` and `length` in seconds; `openAt` after local midnight of the day it opens, and may
 * reach past 24 h (it is taken modulo a day). Throws if the result is not a valid window list.
 */
export function demoWindows(openAt: number, length = 10 * 60): WindowSpec[] {
  let start = ((Math.floor(openAt) % DAY) + DAY) % DAY;
  let end = start + length;
  const kept: WindowSpec[] = [];
  for (const w of DEFAULTS) {
    // The demo window may run past midnight: compare with the default on both days it touches.
    const shift = [0, DAY].find((d) => w.start + d < end && start < w.end + d);
    if (shift === undefined) {
      kept.push({ id: w.id, start: formatClock(w.start), end: formatClock(w.end) });
      continue;
    }
    start = Math.min(start, w.start + shift);
    end = Math.max(end, w.end + shift);
  }
  const windows = [...kept, { id: 'demo', start: formatClock(start), end: formatClock(end) }];
  const problem = validateWindows(windows);
  if (problem) throw new Error(`demo windows: ${problem}`);
  return windows;
}
