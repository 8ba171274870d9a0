import { describe, expect, it } from 'vitest';
import type { Bulletin } from '../../lib/types.js';
import { createBody, editPatch, type FormReading } from './bulletin-body.js';

const TZ = 'Asia/Ho_Chi_Minh';
const SHA = 'a'.repeat(64);

/** A rejected bulletin as the API answers, its validity with seconds the form cannot show. */
const stored: Bulletin = {
  id: 'b-1',
  communeId: 'default',
  title: 'Thông báo bị sai ngày',
  text: null,
  level: 'ordinary',
  mediaSha256: SHA,
  relay: null,
  state: 'rejected',
  targets: { commune: true, zoneIds: [], unitIds: [] },
  recurrence: { days: [0, 1, 2, 3, 4, 5, 6] },
  repeat: { count: 1, gapSeconds: 0 },
  validFrom: '2026-12-02T02:03:04.567Z',
  validUntil: '2026-12-03T02:03:04.567Z',
  volume: 80,
  createdAt: 0,
  approvedAt: null,
  rejectedReason: 'Sai ngày',
  createdBy: 7,
};

/** The form as it opens on `stored`: days Monday first, validity to the minute (09:03 local). */
const unchanged: FormReading = {
  title: 'Thông báo bị sai ngày',
  text: '',
  level: 'ordinary',
  source: { mediaSha256: SHA },
  targets: { commune: true, zoneIds: [], unitIds: [] },
  recurrence: { days: [1, 2, 3, 4, 5, 6, 0] },
  repeat: { count: 1, gapSeconds: 0 },
  validFrom: '2026-12-02T09:03',
  validUntil: '2026-12-03T09:03',
  volume: 80,
};

describe('editPatch', () => {
  it('is empty when the form is as it opened, whatever the order of days and lists', () => {
    expect(editPatch(stored, unchanged, TZ)).toEqual({});
    const zones = { ...stored, targets: { commune: false, zoneIds: ['b', 'a'], unitIds: [] } };
    const reading = { ...unchanged, targets: { commune: false, zoneIds: ['a', 'b'], unitIds: [] } };
    expect(editPatch(zones, reading, TZ)).toEqual({});
    // Every window chosen by name is not "every window": that is a change.
    const named = { ...unchanged, recurrence: { days: unchanged.recurrence.days, windowIds: ['sang'] } };
    expect(editPatch(stored, named, TZ)).toEqual({ recurrence: named.recurrence });
  });

  it('sends only the title when only the title changed, leaving the validity to the second', () => {
    expect(editPatch(stored, { ...unchanged, title: 'Tiêm phòng thứ Bảy' }, TZ)).toEqual({
      title: 'Tiêm phòng thứ Bảy',
    });
  });

  it('sends a changed validity as an instant, and refuses an incomplete one', () => {
    expect(editPatch(stored, { ...unchanged, validUntil: '2026-12-05T18:30' }, TZ)).toEqual({
      validUntil: '2026-12-05T11:30:00.000Z',
    });
    expect(editPatch(stored, { ...unchanged, validUntil: '2026-12-05' }, TZ)).toBeUndefined();
  });

  it('empties a text with an empty string, and sends new audio in place of a relay', () => {
    const withText = { ...stored, text: 'Nội dung cũ' };
    expect(editPatch(withText, unchanged, TZ)).toEqual({ text: '' });
    const relayed = { ...stored, mediaSha256: null, relay: { url: 'http://vov.example/1', durationMs: 600_000 } };
    expect(editPatch(relayed, unchanged, TZ)).toEqual({ mediaSha256: SHA });
    expect(editPatch(relayed, { ...unchanged, source: { relay: relayed.relay } }, TZ)).toEqual({});
  });
});

describe('createBody', () => {
  it('is the whole bulletin, without an empty text, its validity as instants', () => {
    expect(createBody(unchanged, TZ)).toEqual({
      title: unchanged.title,
      level: 'ordinary',
      mediaSha256: SHA,
      targets: unchanged.targets,
      recurrence: unchanged.recurrence,
      repeat: unchanged.repeat,
      validFrom: '2026-12-02T02:03:00.000Z',
      validUntil: '2026-12-03T02:03:00.000Z',
      volume: 80,
    });
    expect(createBody({ ...unchanged, validFrom: '' }, TZ)).toBeUndefined();
  });
});
