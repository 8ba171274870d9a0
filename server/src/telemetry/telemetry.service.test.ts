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

  it('keeps raw samples, averages them into 5-minute buckets, and drops raw ones after 48 h', () => {
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
    service.maintain(t0 + RAW_RETENTION_MS + BUCKET_MS * 3, t0);
    expect(service.history('u-1', t0, t0 + BUCKET_MS * 2, 'raw').points).toHaveLength(0);
    const avg = service.history('u-1', t0, t0 + BUCKET_MS * 2, '5m');
    expect(avg.points.map((p) => [p.at! - t0, p.samples, p.cpuTempC, p.amplifierOn])).toEqual([
      [0, 5, 42, 0.6],
      [BUCKET_MS, 5, 47, 0.4],
    ]);
    service.stop();
  });

  it('drops 5-minute averages older than 90 days, and keeps those just inside', () => {
    const { hub, service } = setup();
    const t0 = Math.floor(Date.UTC(2026, 0, 10, 5, 0) / BUCKET_MS) * BUCKET_MS;
    // Three buckets: t0, the next one, and ten days later; each averaged two days after it.
    for (const at of [t0, t0 + BUCKET_MS, t0 + 10 * 86400_000]) {
      hub.emit('unit-telemetry', { unitId: 'u-3', at, sample: { at: 0, uptimeS: 1, cpuTempC: 50 } });
      service.maintain(at + RAW_RETENTION_MS + BUCKET_MS * 3, at);
    }
    const buckets = () =>
      service.history('u-3', t0 - BUCKET_MS, t0 + 11 * 86400_000, '5m').points.map((p) => p.at! - t0);
    expect(buckets()).toEqual([0, BUCKET_MS, 10 * 86400_000]);
    // 90 days after the second bucket: the first is past the retention, the second just at it.
    service.maintain(t0 + BUCKET_MS + AVERAGE_RETENTION_MS);
    expect(buckets()).toEqual([BUCKET_MS, 10 * 86400_000]);
    service.maintain(t0 + 2 * BUCKET_MS + AVERAGE_RETENTION_MS);
    expect(buckets()).toEqual([10 * 86400_000]);
    service.maintain(t0 + 10 * 86400_000 + AVERAGE_RETENTION_MS + 1);
    expect(buckets()).toEqual([]);
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
