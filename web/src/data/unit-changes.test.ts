// A unit list read while the live feed keeps talking: what the feed said meanwhile survives the
// list when the list does not hold it yet, and an older word never overwrites a newer list.
import { describe, expect, it } from 'vitest';
import type { Unit } from '../lib/types.js';
import { applyChange, HeardLog, isNewer, withChanges, type UnitChange } from './unit-changes.js';

const unit = (id: string, over: Partial<Unit> = {}): Unit => ({
  id,
  communeId: 'xa',
  villageId: null,
  name: id,
  online: true,
  statusSince: 1_000,
  lastSeen: 5_000,
  agentVersion: '1.0.0',
  reportedPlanVersion: 3,
  publishedPlanVersion: 3,
  telemetry: { volume: 80 },
  ...over,
});
const offline = (unitId: string, at: number): UnitChange => ({ kind: 'status', unitId, online: false, at });
const sample = (unitId: string, at: number, volume: number): UnitChange => ({
  kind: 'telemetry',
  unitId,
  at,
  sample: { volume, planVersion: 4 } as never,
});

describe('a unit list read while units change', () => {
  it('keeps a unit offline that went offline while the list was on its way', () => {
    const byId = withChanges([unit('a'), unit('b')], [offline('a', 6_000)]);
    expect(byId.get('a')).toMatchObject({ online: false, statusSince: 6_000, lastSeen: 6_000 });
    expect(byId.get('b')).toEqual(unit('b'));
  });

  it('drops what the list already holds or has newer news of', () => {
    // Heard at 4 s; the list (last seen 5 s) was read after it: the unit came back meanwhile.
    const byId = withChanges([unit('a')], [offline('a', 4_000), sample('a', 5_000, 10)]);
    expect(byId.get('a')).toEqual(unit('a'));
  });

  it('applies several changes of one unit in the order heard, each judged against the list', () => {
    const byId = withChanges([unit('a')], [offline('a', 6_000), sample('a', 7_000, 40)]);
    expect(byId.get('a')).toMatchObject({ online: false, lastSeen: 7_000, reportedPlanVersion: 4 });
    expect(byId.get('a')!.telemetry).toMatchObject({ volume: 40 });
  });

  it('applies a newer plan version, never an older one', () => {
    const plan = (version: number): UnitChange => ({ kind: 'plan', unitId: 'a', version });
    expect(withChanges([unit('a')], [plan(4)]).get('a')!.publishedPlanVersion).toBe(4);
    expect(withChanges([unit('a')], [plan(2)]).get('a')!.publishedPlanVersion).toBe(3);
    expect(isNewer(unit('a', { publishedPlanVersion: null }), plan(1))).toBe(true);
  });

  it('takes any news of a unit never seen, and ignores units the list does not have', () => {
    const fresh = unit('new', { online: false, lastSeen: null, statusSince: null });
    const byId = withChanges([fresh], [{ kind: 'status', unitId: 'new', online: true, at: 10 }, offline('gone', 9)]);
    expect(byId.get('new')).toMatchObject({ online: true, lastSeen: 10 });
    expect(byId.has('gone')).toBe(false);
  });

  it('keeps the reported plan version when a sample does not carry one', () => {
    const c: UnitChange = { kind: 'telemetry', unitId: 'a', at: 9_000, sample: { volume: 5 } as never };
    expect(applyChange(unit('a'), c).reportedPlanVersion).toBe(3);
  });
});

describe('what the feed said, kept for a list being read', () => {
  it('gives a list the last 2 s before it was asked for and all heard while it is on its way', () => {
    const log = new HeardLog(2000);
    log.add(offline('old', 0), 9_000);
    log.add(offline('recent', 0), 11_500);
    const from = log.startRead(12_000);
    // A slow list: 30 s on its way, and the feed talking all along.
    for (let t = 12_000; t <= 42_000; t += 100) log.add(sample('busy', t, 1), t);
    log.add(offline('late', 0), 42_100);
    const got = log.since(from);
    log.endRead();
    expect(got.map((c) => c.unitId)).not.toContain('old');
    expect(got[0]!.unitId).toBe('recent');
    expect(got.filter((c) => c.unitId === 'busy')).toHaveLength(301);
    expect(got.at(-1)!.unitId).toBe('late');
  });

  it('forgets, when no list is on its way, what no list can need', () => {
    const log = new HeardLog(2000);
    for (let t = 0; t < 60_000; t += 10) log.add(sample('a', t, 1), t);
    // Kept: the last 2 s, and at most another 2 s before they are pruned in one go.
    expect(log.size).toBeLessThanOrEqual(400);
    expect(log.size).toBeGreaterThanOrEqual(200);
    log.clear();
    expect(log.since(0)).toEqual([]);
  });
});
