// Communes, their broadcast windows and quiet hours, and their villages.
import { randomBytes } from 'node:crypto';
import {
  DEFAULT_WINDOWS,
  describeWindows,
  isTimeZone,
  overnightTooLong,
  validateWindows,
  type WindowSpec,
} from '@loa/shared';
import type { Db } from '../db/database.js';
import { HttpError } from '../http-error.js';
import { communesRepo, type CommuneRow, type QuietHours } from './communes.repo.js';

/** Default quiet hours: nothing but an emergency may be scheduled from 22:00 to 05:00. */
export const DEFAULT_QUIET_HOURS: QuietHours = { start: '22:00', end: '05:00' };
const QUIET_ID = '~quiet-hours';

const sentence = (s: string) => `${s[0]!.toUpperCase()}${s.slice(1)}.`;

/**
 * Windows must be well-formed, must not overlap each other, must not span more than 12 h across
 * midnight (19:00–17:00 is an end typed before its start, not 22 h of airtime), and must not reach
 * into the quiet hours: a window typed as 03:00–04:00 is refused here, before it can wake a village
 * (DESIGN §1).
 */
export function checkWindows(windows: readonly WindowSpec[], quiet: QuietHours | null, field = 'windows'): void {
  // First, as such a window also overlaps every other: the typo is the clearer thing to name.
  const long = overnightTooLong(windows);
  if (long) throw new HttpError(400, 'invalid-windows', sentence(long.message), `windows.${long.index}.end`);
  const problem = validateWindows(windows);
  if (problem) throw new HttpError(400, 'invalid-windows', sentence(problem), field);
  if (!quiet) return;
  const clash = validateWindows([...windows, { id: QUIET_ID, start: quiet.start, end: quiet.end }]);
  if (clash) {
    const named = windows.find((w) => clash.includes(`'${w.id}'`));
    throw new HttpError(
      400,
      'window-in-quiet-hours',
      `Window ${named ? `${named.id} (${named.start}–${named.end})` : ''} reaches into the quiet hours ${quiet.start}–${quiet.end}, when only an emergency may sound. Move the window, or change the quiet hours first.`,
      field,
    );
  }
}

/** `onChange` is told which commune changed: its units are re-planned. */
export function communesService(db: Db, onChange: (communeIds?: readonly string[]) => void) {
  const repo = communesRepo(db);
  const get = (id: string): CommuneRow => {
    const c = repo.get(id);
    if (!c) throw new HttpError(404, 'commune-not-found', `There is no commune ${id}.`);
    return c;
  };
  return {
    list: () => repo.list(),
    get,
    /** A fresh install gets one commune in the server's time zone with the default windows. */
    ensureDefault(timeZone: string) {
      if (repo.list().length > 0) return;
      repo.insert({
        id: 'default',
        name: 'Xã mặc định',
        timeZone,
        windows: DEFAULT_WINDOWS.map((w) => ({ ...w })),
        quietHours: DEFAULT_QUIET_HOURS,
      });
    },
    create(
      input: { id: string; name: string; timeZone?: string; windows?: WindowSpec[]; quietHours?: QuietHours | null },
      defaultTz: string,
    ) {
      if (repo.get(input.id))
        throw new HttpError(409, 'commune-exists', `A commune with id ${input.id} already exists.`, 'id');
      const timeZone = input.timeZone ?? defaultTz;
      if (!isTimeZone(timeZone))
        throw new HttpError(
          400,
          'invalid-time-zone',
          `${timeZone} is not a time zone; use a name such as Asia/Ho_Chi_Minh.`,
          'timeZone',
        );
      const windows = input.windows ?? DEFAULT_WINDOWS.map((w) => ({ ...w }));
      const quietHours = input.quietHours === undefined ? DEFAULT_QUIET_HOURS : input.quietHours;
      checkWindows(windows, quietHours);
      repo.insert({ id: input.id, name: input.name, timeZone, windows, quietHours });
      onChange([input.id]);
      return get(input.id);
    },
    update(id: string, patch: { name?: string; timeZone?: string; quietHours?: QuietHours | null }) {
      const c = get(id);
      const next: CommuneRow = { ...c, ...(patch.name !== undefined ? { name: patch.name } : {}) };
      if (patch.timeZone !== undefined) {
        if (!isTimeZone(patch.timeZone))
          throw new HttpError(
            400,
            'invalid-time-zone',
            `${patch.timeZone} is not a time zone; use a name such as Asia/Ho_Chi_Minh.`,
            'timeZone',
          );
        next.timeZone = patch.timeZone;
      }
      if (patch.quietHours !== undefined) next.quietHours = patch.quietHours;
      checkWindows(next.windows, next.quietHours, patch.quietHours !== undefined ? 'quietHours' : 'windows');
      repo.update(next);
      onChange([id]);
      return get(id);
    },
    setWindows(id: string, windows: WindowSpec[]) {
      const c = get(id);
      checkWindows(windows, c.quietHours);
      repo.update({ ...c, windows });
      onChange([id]);
      return { ...get(id), described: describeWindows(windows) };
    },
    villages: (communeId: string) => {
      get(communeId);
      return repo.villages(communeId);
    },
    createVillage(communeId: string, input: { id?: string; name: string }) {
      get(communeId);
      const id = input.id ?? `thon-${randomBytes(3).toString('hex')}`;
      if (repo.village(id)) throw new HttpError(409, 'village-exists', `A village with id ${id} already exists.`, 'id');
      repo.insertVillage(id, communeId, input.name);
      return repo.village(id)!;
    },
  };
}
export type CommunesService = ReturnType<typeof communesService>;
