import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../db/database.js';
import { Hub } from '../hub.js';
import { AVERAGE_RETENTION_MS, BUCKET_MS, RAW_RETENTION_MS, telemetryService } from './telemetry.service.js';

describe('telemetry history', () => {
  const setup = () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'loa-tel-')), 'loa.db'));
    const hub = new Hub((err) => {
      throw err;
    });
    return { db, hub, service: telemetryService(db, hub, pino({ level: 'silent' })) };
  };

  it('keeps raw samples, averages them into 5-minute buckets, and drops raw ones after 48 h', async () => {
    const { hub, service } = setup();
    const t0 = Math.floor(Date.UTC(2026, 10, 20, 5, 0) / BUCKET_MS) * BUCKET_MS;
    for (let i = 0; i < 10; i++) {
      // Two buckets of five samples a minute apart; temperatures 40..49 °C.
      hub.emit('unit-telemetry', {
        unitId: 'u-1',
        at: t0 + i * 60_000,
        sample: { at: 0, uptimeS: i, cpuTempC: 40 + i, amplifierOn: i % 2 === 0 },
      });
    }
    service.flush();
    expect(service.history('u-1', t0, t0 + BUCKET_MS * 2, 'raw').points).toHaveLength(10);

    // Two days later: the raw rows are gone, the averages stay.
    await service.maintain(t0 + RAW_RETENTION_MS + BUCKET_MS * 3, t0);
    expect(service.history('u-1', t0, t0 + BUCKET_MS * 2, 'raw').points).toHaveLength(0);
    const avg = service.history('u-1', t0, t0 + BUCKET_MS * 2, '5m');
    expect(avg.points.map((p) => [p.at! - t0, p.samples, p.cpuTempC, p.amplifierOn])).toEqual([
      [0, 5, 42, 0.6],
      [BUCKET_MS, 5, 47, 0.4],
    ]);
    service.stop();
  });

  it('drops 5-minute averages older than 90 days, and keeps those just inside', async () => {
    const { hub, service } = setup();
    const t0 = Math.floor(Date.UTC(2026, 0, 10, 5, 0) / BUCKET_MS) * BUCKET_MS;
    // Three buckets: t0, the next one, and ten days later; each averaged two days after it.
    for (const at of [t0, t0 + BUCKET_MS, t0 + 10 * 86400_000]) {
      hub.emit('unit-telemetry', { unitId: 'u-3', at, sample: { at: 0, uptimeS: 1, cpuTempC: 50 } });
      await service.maintain(at + RAW_RETENTION_MS + BUCKET_MS * 3, at);
    }
    const buckets = () =>
      service.history('u-3', t0 - BUCKET_MS, t0 + 11 * 86400_000, '5m').points.map((p) => p.at! - t0);
    expect(buckets()).toEqual([0, BUCKET_MS, 10 * 86400_000]);
    // 90 days after the second bucket: the first is past the retention, the second just at it.
    await service.maintain(t0 + BUCKET_MS + AVERAGE_RETENTION_MS);
    expect(buckets()).toEqual([BUCKET_MS, 10 * 86400_000]);
    await service.maintain(t0 + 2 * BUCKET_MS + AVERAGE_RETENTION_MS);
    expect(buckets()).toEqual([10 * 86400_000]);
    await service.maintain(t0 + 10 * 86400_000 + AVERAGE_RETENTION_MS + 1);
    expect(buckets()).toEqual([]);
    service.stop();
  });

  // Issue #10: a province's fleet. Each run averages the buckets completed since the last one, a
  // slice of units at a time, and deletes expired rows in batches.
  it('averages every unit of a fleet, each bucket once, and drops thousands of expired rows', async () => {
    const { db, hub, service } = setup();
    const t0 = Math.floor(Date.UTC(2026, 10, 20, 5, 0) / BUCKET_MS) * BUCKET_MS;
    const units = Array.from({ length: 130 }, (_, i) => `u-${String(i).padStart(3, '0')}`);
    const sampleBucket = (bucket: number, temp: (unit: number) => number) => {
      for (const [i, unitId] of units.entries())
        for (let k = 0; k < 20; k++)
          hub.emit('unit-telemetry', {
            unitId,
            at: bucket + k * 10_000,
            sample: { at: 0, uptimeS: 1, cpuTempC: temp(i) + (k % 2) },
          });
      service.flush();
    };
    const averages = () =>
      db
        .prepare(
          'SELECT unit_id AS unit, bucket, samples, cpu_temp_c AS temp FROM telemetry_5m ORDER BY unit_id, bucket',
        )
        .all() as Array<{
        unit: string;
        bucket: number;
        samples: number;
        temp: number;
      }>;

    sampleBucket(t0, (i) => i);
    await service.maintain(t0 + BUCKET_MS, t0); // the first bucket is complete
    expect(averages()).toEqual(units.map((unit, i) => ({ unit, bucket: t0, samples: 20, temp: i + 0.5 })));

    // A later run starts where the last ended: a row changed behind it stays as it was averaged.
    db.prepare('UPDATE telemetry_5m SET cpu_temp_c = -1 WHERE unit_id = ?').run('u-007');
    sampleBucket(t0 + BUCKET_MS, (i) => 100 + i);
    await service.maintain(t0 + 2 * BUCKET_MS);
    const after = averages();
    expect(after).toHaveLength(2 * units.length);
    expect(after.find((a) => a.unit === 'u-007' && a.bucket === t0)!.temp).toBe(-1);
    expect(after.filter((a) => a.bucket === t0 + BUCKET_MS).map((a) => a.temp)).toEqual(units.map((_, i) => 100.5 + i));

    // Two days on, 5,200 raw rows are past their retention: all go, over several batches.
    await service.maintain(t0 + 2 * BUCKET_MS + RAW_RETENTION_MS);
    expect(db.prepare('SELECT COUNT(*) FROM telemetry_raw').pluck().get()).toBe(0);
    expect(averages()).toHaveLength(2 * units.length);
    service.stop();
  });

  it('indexes samples by the server’s receive time, whatever the unit’s clock says', () => {
    const { hub, service } = setup();
    const now = Date.now();
    hub.emit('unit-telemetry', { unitId: 'u-2', at: now, sample: { at: 0, uptimeS: 1 } });
    expect(service.history('u-2', now - 1000, now + 1000, 'auto').points.map((p) => p.at)).toEqual([now]);
    service.stop();
  });
});
