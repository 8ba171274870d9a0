// The commune timeline lists each plan once with its units (issue #10): units that share the
// planner's arrays are grouped without serializing each, and equal plans from different groups
// still merge into one.
import { describe, expect, it } from 'vitest';
import type { UnitDayPlan } from '@loa/shared';
import { sharedPlans } from './timeline.service.js';

const window = (startAt: number) => ({ id: 'sang', startAt, endAt: startAt + 3600_000 });
const item = (id: string, startAt: number) =>
  ({
    id,
    bulletinId: id.split('@')[0]!,
    startAt,
    durationMs: 60_000,
    level: 'ordinary',
  }) as unknown as UnitDayPlan['items'][number];

describe('sharedPlans', () => {
  it('groups units by plan, in the order first seen, whether their arrays are shared or only equal', () => {
    const morning = [window(1000)];
    const market = [item('cho@d#1', 2000)];
    const school = [item('truong@d#1', 3000)];
    const plans: UnitDayPlan[] = [
      { unitId: 'a', date: 'd', windows: morning, items: market },
      { unitId: 'b', date: 'd', windows: morning, items: school },
      { unitId: 'c', date: 'd', windows: morning, items: market },
      // Another group whose plan came out the same as the first: merged by content.
      { unitId: 'd', date: 'd', windows: [window(1000)], items: [item('cho@d#1', 2000)] },
      // The same items in another window: a plan of its own.
      { unitId: 'e', date: 'd', windows: [window(5000)], items: market },
    ];
    expect(sharedPlans(plans)).toEqual([
      { unitIds: ['a', 'c', 'd'], windows: morning, items: market },
      { unitIds: ['b'], windows: morning, items: school },
      { unitIds: ['e'], windows: [window(5000)], items: market },
    ]);
    expect(sharedPlans([])).toEqual([]);
  });
});
