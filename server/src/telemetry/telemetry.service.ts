// Telemetry history (issue #9): raw samples for 48 h, then 5-minute averages for 90 days. Samples
// arrive from the hub and are written in one transaction per second, so thousands of units
// reporting every 30 s cost a few small transactions, not thousands.
import type { FastifyBaseLogger } from 'fastify';
import type { TelemetryMessage } from '@loa/shared';
import type { Db } from '../db/database.js';
import type { Hub } from '../hub.js';

export const RAW_RETENTION_MS = 48 * 3600_000;
export const AVERAGE_RETENTION_MS = 90 * 86400_000;
export const BUCKET_MS = 5 * 60_000;
/** Work per turn of the event loop while averaging (issue #10). */
const SLICE_MS = 8;
/** Units averaged by one statement, and rows deleted by one. */
const UNITS_PER_STATEMENT = 50;
const DELETE_BATCH = 2000;
const FIELDS = [
  'load1',
  'cpu_temp_c',
  'mem_free_bytes',
  'disk_free_bytes',
  'cache_bytes',
  'clock_offset_ms',
  'volume',
  'amplifier_on',
] as const;

export function telemetryService(db: Db, hub: Hub, log: FastifyBaseLogger) {
  const insert = db.prepare(
    `INSERT INTO telemetry_raw (unit_id, at, ${FIELDS.join(', ')}) VALUES (@unit, @at, @load1, @cpu_temp_c, @mem_free_bytes,
       @disk_free_bytes, @cache_bytes, @clock_offset_ms, @volume, @amplifier_on)`,
  );
  const insertMany = db.transaction((rows: Array<Record<string, unknown>>) => {
    for (const r of rows) insert.run(r);
  });
  // Averages of complete buckets only; re-running over the same raw rows gives the same answer.
  // Issue #10: a province's fleet stores ~15 million raw samples a day, so each run averages the
  // buckets completed since the last (`telemetry_averaged`), a slice of units at a time (one index
  // seek per unit to find the next), and deletes expired rows a batch at a time, yielding between
  // slices: the whole of it in one statement stopped the event loop for 0.4 s at 5,000 units
  // after minutes of samples, and would have grown with the history.
  const downsample = db.prepare(
    `INSERT OR REPLACE INTO telemetry_5m (unit_id, bucket, samples, ${FIELDS.join(', ')})
     SELECT unit_id, (at / ${BUCKET_MS}) * ${BUCKET_MS} AS bucket, COUNT(*), ${FIELDS.map((f) => `AVG(${f})`).join(', ')}
     FROM telemetry_raw INDEXED BY telemetry_raw_unit_at
     WHERE unit_id >= @first AND unit_id <= @last AND at >= @from AND at < @to GROUP BY unit_id, bucket`,
  );
  const nextUnit = db.prepare('SELECT unit_id FROM telemetry_raw WHERE unit_id > ? ORDER BY unit_id LIMIT 1').pluck();
  const averagedUntil = db.prepare('SELECT until FROM telemetry_averaged WHERE id = 1').pluck();
  const setAveragedUntil = db.prepare(
    'INSERT INTO telemetry_averaged (id, until) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET until = excluded.until',
  );
  const dropRaw = db.prepare(
    `DELETE FROM telemetry_raw WHERE rowid IN (SELECT rowid FROM telemetry_raw WHERE at < ? LIMIT ${DELETE_BATCH})`,
  );
  const dropAverages = db.prepare(
    `DELETE FROM telemetry_5m WHERE rowid IN (SELECT rowid FROM telemetry_5m WHERE bucket < ? LIMIT ${DELETE_BATCH})`,
  );
  const breathe = () => new Promise<void>((r) => setImmediate(r));

  /** Averages [from, to) for every unit with raw samples, a slice of units per turn of the loop. */
  async function average(from: number, to: number): Promise<void> {
    let after = '';
    for (let done = false; !done;) {
      const sliceEnd = performance.now() + SLICE_MS;
      db.transaction(() => {
        while (performance.now() < sliceEnd) {
          const first = nextUnit.get(after) as string | undefined;
          if (first === undefined) return void (done = true);
          let last = first;
          for (let n = 1; n < UNITS_PER_STATEMENT; n++) {
            const next = nextUnit.get(last) as string | undefined;
            if (next === undefined) break;
            last = next;
          }
          downsample.run({ first, last, from, to });
          after = last;
        }
      })();
      if (!done) await breathe();
    }
  }

  /** Runs `statement` until it deletes fewer than a batch, yielding between batches. */
  async function dropAll(statement: typeof dropRaw, before: number): Promise<void> {
    while (statement.run(before).changes === DELETE_BATCH) await breathe();
  }

  let pending: Array<Record<string, unknown>> = [];
  const flush = () => {
    if (pending.length === 0) return;
    const rows = pending;
    pending = [];
    try {
      insertMany(rows);
    } catch (err) {
      log.error({ err: (err as Error).message, rows: rows.length }, 'telemetry: could not store samples');
    }
  };
  const timer = setInterval(flush, 1000);
  timer.unref();
  const off = hub.on('unit-telemetry', ({ unitId, sample, at }) => pending.push(toRow(unitId, sample, at)));

  return {
    flush,
    /**
     * Averages the buckets completed since the last run (or from `from`) and applies retention;
     * run every 5 minutes.
     */
    async maintain(now = Date.now(), from?: number): Promise<void> {
      flush();
      const to = Math.floor(now / BUCKET_MS) * BUCKET_MS;
      const since = from ?? (averagedUntil.get() as number | undefined) ?? now - RAW_RETENTION_MS;
      const start = Math.floor(since / BUCKET_MS) * BUCKET_MS;
      if (start < to) {
        await average(start, to);
        setAveragedUntil.run(to);
      }
      await dropAll(dropRaw, now - RAW_RETENTION_MS);
      await dropAll(dropAverages, now - AVERAGE_RETENTION_MS);
    },
    /** Raw samples for spans within the last 48 h, 5-minute averages otherwise. */
    history(unitId: string, from: number, to: number, resolution: 'raw' | '5m' | 'auto' = 'auto') {
      flush();
      const useRaw = resolution === 'raw' || (resolution === 'auto' && from >= Date.now() - RAW_RETENTION_MS);
      const cols = FIELDS.map((f) => `${f} AS ${camel(f)}`).join(', ');
      const rows = useRaw
        ? db
            .prepare(
              `SELECT at, ${cols} FROM telemetry_raw WHERE unit_id = ? AND at >= ? AND at < ? ORDER BY at LIMIT 20000`,
            )
            .all(unitId, from, to)
        : db
            .prepare(
              `SELECT bucket AS at, samples, ${cols} FROM telemetry_5m WHERE unit_id = ? AND bucket >= ? AND bucket < ? ORDER BY bucket LIMIT 30000`,
            )
            .all(unitId, from, to);
      return {
        resolution: useRaw ? ('raw' as const) : ('5m' as const),
        points: rows as Array<Record<string, number | null>>,
      };
    },
    stop() {
      off();
      clearInterval(timer);
      flush();
    },
  };
}
export type TelemetryService = ReturnType<typeof telemetryService>;

function camel(f: string): string {
  return f.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

// Indexed by the server's receive time: a unit whose clock is off must not scatter its history.
function toRow(unit: string, s: TelemetryMessage, receivedAt: number): Record<string, unknown> {
  return {
    unit,
    at: receivedAt,
    load1: s.load1 ?? null,
    cpu_temp_c: s.cpuTempC ?? null,
    mem_free_bytes: s.memFreeBytes ?? null,
    disk_free_bytes: s.diskFreeBytes ?? null,
    cache_bytes: s.cacheBytes ?? null,
    clock_offset_ms: s.clockOffsetMs ?? null,
    volume: s.volume ?? null,
    amplifier_on: s.amplifierOn === undefined ? null : s.amplifierOn ? 1 : 0,
  };
}
