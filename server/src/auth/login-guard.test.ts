import { describe, expect, it } from 'vitest';
import { LoginGuard } from './login-guard.js';

function guard() {
  let now = 1_000_000;
  const g = new LoginGuard({ maxFailures: 3, lockoutMs: 60_000, maxPerIp: 10, ipWindowMs: 60_000, now: () => now });
  return { g, advance: (ms: number) => (now += ms) };
}

describe('LoginGuard', () => {
  it('locks a name after failures in a row, for the lockout time, then counts afresh', () => {
    const { g, advance } = guard();
    expect(g.fail('Thu')).toBe(false);
    expect(g.fail('thu')).toBe(false);
    expect(g.fail('THU')).toBe(true);
    expect(g.check('thu', 'ip1')).toEqual({ ok: false, reason: 'locked', retryAfterMs: 60_000 });
    advance(59_999);
    expect(g.check('thu', 'ip2').ok).toBe(false);
    advance(1);
    expect(g.check('thu', 'ip3')).toEqual({ ok: true });
    expect(g.fail('thu')).toBe(false);
  });

  it('forgets failures on success, and an administrator can lift a lock', () => {
    const { g } = guard();
    g.fail('a');
    g.fail('a');
    g.succeed('a');
    expect(g.fail('a')).toBe(false);
    g.fail('b');
    g.fail('b');
    g.fail('b');
    expect(g.lockedUntil('b')).not.toBeNull();
    g.unlock('b');
    expect(g.lockedUntil('b')).toBeNull();
    expect(g.check('b', 'ip').ok).toBe(true);
  });

  it('limits attempts per address within the window, whatever the names', () => {
    const { g, advance } = guard();
    for (let i = 0; i < 10; i++) expect(g.check(`n${i}`, 'ip').ok).toBe(true);
    expect(g.check('other', 'ip')).toMatchObject({ ok: false, reason: 'rate-limited' });
    expect(g.check('other', 'ip2').ok).toBe(true);
    advance(60_001);
    expect(g.check('other', 'ip').ok).toBe(true);
  });
});
