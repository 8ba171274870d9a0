// The JSON of GET /api/units, kept row by row (issue #10). A province's dashboard reloads the list
// of 5,000 units; built whole each time it was ~25 ms of SQLite and JSON on the event loop per
// request, and the slowest of the dashboard's requests under load. Each unit's JSON is now kept
// and made again only when SQLite says one of its listed columns or its published plan changed
// (the temp triggers of `unitsListRepo`), so a request costs the rows changed since the last one
// (the units that reported telemetry meanwhile) and a copy of the rest. Each is kept as UTF-8 bytes:
// joined as one string, Vietnamese names made 5,000 units a two-byte string of ~5 MB, and joining
// and encoding it took ~30 ms; copying the kept bytes into one buffer takes ~1 ms.
import type { Db } from '../db/database.js';
import { unitsListRepo, type ListedUnitRow } from './units.repo.js';

export interface ListedUnit {
  communeId: string;
  json: Buffer;
}

const OPEN = Buffer.from('{"units":[');
const CLOSE = Buffer.from(']}');
const COMMA = 0x2c;
/** Changed units read and made into JSON per turn of the loop (~5 ms for 1,000). */
const CHANGES_SLICE = 1000;

export interface UnitsListOptions {
  /** Changed units read per turn of the loop. */
  slice?: number;
  /** While someone reads the list, its changes are also taken in this often, a slice at a time. */
  keepFreshMs?: number;
  /** …until nobody has read it for this long. */
  watchedForMs?: number;
}

export function unitsList(db: Db, toJson: (row: ListedUnitRow) => string, opts: UnitsListOptions = {}) {
  const { slice = CHANGES_SLICE, keepFreshMs = 1000, watchedForMs = 60_000 } = opts;
  const repo = unitsListRepo(db);
  const rows = new Map<string, ListedUnit>();
  let order: string[] = []; // unit ids in SQLite's ORDER BY id (byte order; ids are ASCII)
  let whole = false; // false until the first full read, and after another process wrote
  let seenVersion = repo.dataVersion();

  const keep = (row: ListedUnitRow) => rows.set(row.id, { communeId: row.commune_id, json: Buffer.from(toJson(row)) });

  /**
   * Brings the kept rows up to what SQLite holds now. The changes are read a slice at a time with
   * a turn of the loop between (a province-wide re-plan changes every unit's row); each slice is
   * read and kept in one synchronous step, so a request that finds no change left sees every row
   * another request took meanwhile already kept.
   */
  async function refresh(): Promise<void> {
    checkOtherWriters();
    if (!whole) {
      rows.clear();
      const all = repo.listed();
      for (const row of all) keep(row);
      order = all.map((r) => r.id);
      whole = true;
      return;
    }
    while (takeChanges() === slice) await new Promise((r) => setImmediate(r));
  }

  /** Reads and keeps one slice of the changed units; how many there were. */
  function takeChanges(): number {
    const { ids, rows: changed } = repo.changes(slice);
    if (ids.length > 0) apply(ids, changed);
    return ids.length;
  }

  function checkOtherWriters(): void {
    const version = repo.dataVersion();
    if (version !== seenVersion) {
      // Another process committed (a script on the same database file): its writes did not go
      // through this connection's triggers, so nothing kept can be trusted.
      seenVersion = version;
      whole = false;
    }
  }

  // Kept fresh between requests while a dashboard is open. Every unit's telemetry changes its row
  // every 10 s, so a province's list read every few seconds found a thousand or more rows changed
  // and read them in slices with a turn of the loop between, each turn waiting behind everything
  // else on a loaded machine. The same rows are now taken in a slice a second, and a request mostly
  // finds few left. Measured (docs/SCALING.md): the list's median a little lower; its p99 (200–350
  // ms, the dashboard's slowest) within the runs' spread, so most of that is not this reading.
  let lastAsked = 0;
  let timer: NodeJS.Timeout | undefined;
  function watched(): void {
    lastAsked = Date.now();
    if (timer) return;
    timer = setInterval(() => {
      if (Date.now() - lastAsked > watchedForMs || !db.open) return stop();
      checkOtherWriters();
      if (whole) takeChanges(); // else read whole by the next request, as it must be
    }, keepFreshMs);
    timer.unref();
  }
  function stop(): void {
    clearInterval(timer);
    timer = undefined;
  }

  function apply(ids: string[], changed: ListedUnitRow[]): void {
    const before = rows.size;
    const gone = new Set(ids);
    for (const row of changed) {
      gone.delete(row.id);
      keep(row);
    }
    for (const id of gone) rows.delete(id);
    if (gone.size > 0 || rows.size !== before) order = [...rows.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  return {
    /** The units `visible` lets through (asked once per commune), as `{"units":[...]}` in id order. */
    async json(visible: (communeId: string) => boolean): Promise<Buffer> {
      watched();
      await refresh();
      const seen = new Map<string, boolean>();
      const shown: Buffer[] = [];
      let size = OPEN.length + CLOSE.length;
      for (const id of order) {
        const unit = rows.get(id)!;
        let show = seen.get(unit.communeId);
        if (show === undefined) seen.set(unit.communeId, (show = visible(unit.communeId)));
        if (!show) continue;
        shown.push(unit.json);
        size += unit.json.length + 1;
      }
      const out = Buffer.allocUnsafe(size - (shown.length ? 1 : 0));
      out.set(OPEN, 0);
      let at = OPEN.length;
      for (let i = 0; i < shown.length; i++) {
        if (i > 0) out[at++] = COMMA;
        out.set(shown[i]!, at);
        at += shown[i]!.length;
      }
      out.set(CLOSE, at);
      return out;
    },
    /** Units changed and not yet taken in (for tests and diagnosis). */
    pending: () => repo.pending(),
    /** Stops keeping the list fresh (before the database closes); the next read starts it again. */
    stop,
  };
}
