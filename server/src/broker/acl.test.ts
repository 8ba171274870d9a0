import { describe, expect, it } from 'vitest';
import { canPublish, canSubscribe } from './acl.js';

const unit = { kind: 'unit', unit: 'thon-a' } as const;
const sha = 'a'.repeat(64);

describe('the broker ACL (DESIGN §7)', () => {
  it('lets a unit publish only under its own topics and media wants', () => {
    for (const sub of ['status', 'telemetry', 'events', 'cmd/ack', 'time'])
      expect(canPublish(unit, `loa/v1/units/thon-a/${sub}`)).toBe(true);
    expect(canPublish(unit, `loa/v1/media/${sha}/want`)).toBe(true);
    for (const topic of [
      'loa/v1/units/thon-b/status',
      'loa/v1/units/thon-a/plan',
      'loa/v1/units/thon-a/cmd',
      'loa/v1/units/thon-a/events/ack',
      `loa/v1/media/${sha}/0/1`,
      'loa/v1/live/s1',
      'loa/v1/units/thon-a/status/extra',
      'other/topic',
    ]) {
      expect(canPublish(unit, topic), topic).toBe(false);
    }
  });

  it('lets a unit subscribe only to its own plan, cmd, acks, time replies, media chunks and live', () => {
    for (const f of ['plan', 'cmd', 'events/ack', 'time/reply'])
      expect(canSubscribe(unit, `loa/v1/units/thon-a/${f}`)).toBe(true);
    expect(canSubscribe(unit, `loa/v1/media/${sha}/+/+`)).toBe(true);
    expect(canSubscribe(unit, 'loa/v1/live/+')).toBe(true);
    for (const f of [
      'loa/v1/units/thon-b/plan',
      'loa/v1/units/+/plan',
      'loa/v1/units/thon-a/#',
      'loa/v1/#',
      '#',
      'loa/v1/media/+/want',
      'loa/v1/media/#',
      'loa/v1/units/thon-a/telemetry',
    ]) {
      expect(canSubscribe(unit, f), f).toBe(false);
    }
  });

  it('lets the server do anything', () => {
    expect(canPublish({ kind: 'server' }, 'loa/v1/units/thon-a/plan')).toBe(true);
    expect(canSubscribe({ kind: 'server' }, 'loa/v1/units/+/events')).toBe(true);
  });
});
