// Regrouping the day's plans (each with the units that follow it) by zone, as the timeline shows them.
import { describe, expect, it } from 'vitest';
import type { CommuneTimeline, PlanItem } from '../lib/types.js';
import { playingNow, playingTitle, rowsByZone } from './timeline.js';

const media = { sha256: 'a'.repeat(64), bytes: 1000, durationMs: 60_000 };
const item = (id: string, startAt: number, title = id): PlanItem => ({
  id,
  bulletinId: id.split('@')[0]!,
  title,
  level: 'ordinary',
  media,
  startAt,
  validUntil: startAt + 3600_000,
  volume: 80,
});
const win = { id: 'morning', startAt: 0, endAt: 3600_000 };

const timeline: CommuneTimeline = {
  communeId: 'xa',
  date: '2026-11-22',
  timeZone: 'Asia/Ho_Chi_Minh',
  zones: [
    { id: 'cho', unitIds: ['u1', 'u2'] },
    { id: 'an-phu', unitIds: ['u2'] },
  ],
  plans: [
    { unitIds: ['u1'], windows: [win], items: [item('b1@d#1', 0), item('b2@d#1', 120_000)] },
    { unitIds: ['u4', 'u2'], windows: [win], items: [item('b1@d#1', 0)] },
    { unitIds: ['u3'], windows: [win], items: [item('b3@d#1', 600_000)] },
  ],
  overbooked: [],
};
const zones = [
  { id: 'cho', communeId: 'xa', name: 'Khu chợ', unitIds: ['u1', 'u2'], windows: null },
  { id: 'an-phu', communeId: 'xa', name: 'An Phú', unitIds: ['u2'], windows: null },
];

describe('rowsByZone', () => {
  it('lists each zone once by name, each item once, and the units in no zone last', () => {
    const rows = rowsByZone(timeline, zones, 'Ngoài vùng');
    expect(rows.map((r) => [r.name, r.unitIds, r.items.map((i) => i.id)])).toEqual([
      ['An Phú', ['u2'], ['b1@d#1']],
      ['Khu chợ', ['u1', 'u2'], ['b1@d#1', 'b2@d#1']],
      ['Ngoài vùng', ['u3', 'u4'], ['b1@d#1', 'b3@d#1']],
    ]);
    expect(rows[1]!.windows).toEqual([win]);
  });

  it('names a zone by its id when its name is not known yet', () => {
    expect(rowsByZone(timeline, [], 'x')[0]!.name).toBe('an-phu');
  });
});

describe('what plays now', () => {
  const rows = rowsByZone(timeline, zones, 'Ngoài vùng');
  it('gives each sounding item once with every zone it sounds on', () => {
    expect(playingNow(rows, 30_000).map((p) => [p.item.id, p.zones])).toEqual([
      ['b1@d#1', ['An Phú', 'Khu chợ', 'Ngoài vùng']],
    ]);
    expect(playingNow(rows, 60_000)).toEqual([]); // ended: [start, start + duration)
  });
  it("names a unit's playing item by its title, else by its bulletin", () => {
    expect(playingTitle('b2@d#1', rows[1]!.items)).toBe('b2@d#1');
    expect(playingTitle('b9@2026-11-22#2', [])).toBe('b9');
  });
});
