// The unit's volume and mute (DESIGN §6) and the gain they give each item: item volume × unit
// volume, 0 when muted; an emergency at its own volume whatever the unit's (rule 4), but not
// through a mute. Both survive a restart; a damaged state file falls back to full volume.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '../log.js';
import { item } from '../testing/plans.js';
import { UnitState } from './unit-state.js';

const MEDIA = { sha256: 'ab'.repeat(32), bytes: 1, durationMs: 1000 };
const ordinary = (volume: number) => item('tin', MEDIA, 0, { volume });
const emergency = (volume: number) => item('khan', MEDIA, 0, { volume, level: 'emergency' });
const priority = (volume: number) => item('uu-tien', MEDIA, 0, { volume, level: 'priority' });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loa-state-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function state(): Promise<UnitState> {
  const s = new UnitState(dir, memoryLogger());
  await s.start();
  return s;
}

describe('UnitState.gain', () => {
  it('is the item volume at full unit volume', async () => {
    const s = await state();
    expect([s.volume, s.muted]).toEqual([100, false]);
    expect(s.gain(ordinary(80))).toBeCloseTo(0.8, 10);
    expect(s.gain(ordinary(0))).toBe(0);
  });

  it('multiplies the item volume by the unit volume, except for an emergency', async () => {
    const s = await state();
    await s.update({ volume: 50 });
    expect(s.gain(ordinary(80))).toBeCloseTo(0.4, 10);
    expect(s.gain(priority(100))).toBeCloseTo(0.5, 10);
    expect(s.gain(emergency(80))).toBeCloseTo(0.8, 10);
    await s.update({ volume: 0 });
    expect(s.gain(ordinary(100))).toBe(0);
    expect(s.gain(emergency(100))).toBe(1);
  });

  it('is 0 for everything when muted, an emergency too, and comes back on unmute', async () => {
    const s = await state();
    await s.update({ volume: 70, muted: true });
    expect(s.gain(ordinary(100))).toBe(0);
    expect(s.gain(emergency(100))).toBe(0);
    await s.update({ muted: false });
    expect(s.gain(ordinary(100))).toBeCloseTo(0.7, 10);
  });

  it('keeps volume and mute across a restart', async () => {
    await (await state()).update({ volume: 35, muted: true });
    const again = await state();
    expect([again.volume, again.muted]).toEqual([35, true]);
    expect(again.gain(emergency(90))).toBe(0);
  });

  it('falls back to full volume, not muted, on a damaged or out-of-range state file', async () => {
    await writeFile(join(dir, 'state.json'), '{"volume": 3');
    const log = memoryLogger();
    const s = new UnitState(dir, log);
    await s.start();
    expect([s.volume, s.muted]).toEqual([100, false]);
    expect(log.lines).toContain('agent state.json is unreadable; using volume 100, not muted');
    await writeFile(join(dir, 'state.json'), JSON.stringify({ volume: 140, muted: 'yes' }));
    const t = await state();
    expect([t.volume, t.muted]).toEqual([100, false]);
    expect(t.gain(ordinary(50))).toBeCloseTo(0.5, 10);
  });
});
