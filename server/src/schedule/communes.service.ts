// Communes and their broadcast windows.
import { DEFAULT_WINDOWS, describeWindows, validateWindows, type WindowSpec } from '@loa/shared';
import type { Db } from '../db/database.js';
import { HttpError } from '../http-error.js';
import { communesRepo } from './communes.repo.js';

export function communesService(db: Db, onChange: () => void) {
  const repo = communesRepo(db);
  return {
    list: () => repo.list(),
    get(id: string) {
      const c = repo.get(id);
      if (!c) throw new HttpError(404, 'commune-not-found', `There is no commune ${id}.`);
      return c;
    },
    /** A fresh install gets one commune in the server's time zone with the default windows. */
    ensureDefault(timeZone: string) {
      if (repo.list().length > 0) return;
      repo.insert({ id: 'default', name: 'Xã mặc định', timeZone, windows: DEFAULT_WINDOWS.map((w) => ({ ...w })) });
    },
    setWindows(id: string, windows: WindowSpec[]) {
      this.get(id);
      const problem = validateWindows(windows);
      if (problem) throw new HttpError(400, 'invalid-windows', problem, 'windows');
      repo.setWindows(id, windows);
      onChange();
      return { ...repo.get(id)!, described: describeWindows(windows) };
    },
  };
}
