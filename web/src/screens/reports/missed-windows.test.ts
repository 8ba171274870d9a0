import { describe, expect, it } from 'vitest';
import { missedByUnit, type MissedWindow } from './missed-windows.js';

const w = (unitId: string, unit: string, window: string, startAt: number): MissedWindow => ({
  unitId,
  unit,
  window,
  startAt,
});

describe('missedByUnit', () => {
  it('names each unit once, in Vietnamese order, with its windows in time order', () => {
    expect(
      missedByUnit([
        w('cum-xa', 'Cụm loa Xa', '2026-11-03 17:00–19:00', 3),
        w('cum-doi', 'Cụm loa Đồi', '2026-11-04 06:00–07:00', 4),
        w('cum-doi', 'Cụm loa Đồi', '2026-11-03 17:00–19:00', 3),
        w('cum-an', 'Cụm loa Ấp', '2026-11-02', 1),
      ]),
    ).toEqual([
      { unitId: 'cum-an', unit: 'Cụm loa Ấp', windows: ['2026-11-02'] },
      { unitId: 'cum-doi', unit: 'Cụm loa Đồi', windows: ['2026-11-03 17:00–19:00', '2026-11-04 06:00–07:00'] },
      { unitId: 'cum-xa', unit: 'Cụm loa Xa', windows: ['2026-11-03 17:00–19:00'] },
    ]);
  });

  it('keeps two units of the same name apart', () => {
    const out = missedByUnit([w('a-1', 'Cụm chợ', 'x', 1), w('a-2', 'Cụm chợ', 'y', 2)]);
    expect(out.map((u) => [u.unitId, u.windows])).toEqual([
      ['a-1', ['x']],
      ['a-2', ['y']],
    ]);
  });

  it('has nothing for a row where no unit missed a window', () => {
    expect(missedByUnit([])).toEqual([]);
  });
});
