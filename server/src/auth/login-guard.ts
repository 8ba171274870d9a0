// Brute-force protection for the sign-in form (issue #4): each address may try a limited number of
// sign-ins per window, and an account is locked for a while after repeated failures in a row. User
// names that do not exist are counted the same way, so a locked answer never tells an attacker
// which names are real. Kept in memory: one control-plane process per province (DESIGN §8), and a
// restart is not something an attacker outside can cause.

export interface LoginGuardOptions {
  /** Failures in a row that lock an account. */
  maxFailures: number;
  lockoutMs: number;
  /** Sign-in attempts one address may make per `ipWindowMs`, whatever their outcome. */
  maxPerIp: number;
  ipWindowMs: number;
  now?: () => number;
}

export type LoginVerdict = { ok: true } | { ok: false; reason: 'locked' | 'rate-limited'; retryAfterMs: number };

interface Failures {
  count: number;
  last: number;
  lockedUntil: number;
}

const MAX_TRACKED = 50_000;

export class LoginGuard {
  private readonly failures = new Map<string, Failures>();
  private readonly attempts = new Map<string, number[]>();
  private readonly now: () => number;

  constructor(private readonly opts: LoginGuardOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Called before checking the password: may the attempt go ahead at all? */
  check(username: string, ip: string): LoginVerdict {
    const now = this.now();
    const recent = (this.attempts.get(ip) ?? []).filter((t) => t > now - this.opts.ipWindowMs);
    if (recent.length >= this.opts.maxPerIp) {
      this.attempts.set(ip, recent);
      return { ok: false, reason: 'rate-limited', retryAfterMs: recent[0]! + this.opts.ipWindowMs - now };
    }
    recent.push(now);
    this.attempts.set(ip, recent);
    this.trim(this.attempts);
    const f = this.failures.get(key(username));
    if (f && f.lockedUntil > now) return { ok: false, reason: 'locked', retryAfterMs: f.lockedUntil - now };
    return { ok: true };
  }

  /** Records a failed password; returns true when this failure locked the account. */
  fail(username: string): boolean {
    const now = this.now();
    const k = key(username);
    const f = this.failures.get(k) ?? { count: 0, last: 0, lockedUntil: 0 };
    // A lock that has run out starts a fresh count.
    if (f.lockedUntil && f.lockedUntil <= now) Object.assign(f, { count: 0, lockedUntil: 0 });
    f.count++;
    f.last = now;
    const locked = f.count >= this.opts.maxFailures;
    if (locked) f.lockedUntil = now + this.opts.lockoutMs;
    this.failures.set(k, f);
    this.trim(this.failures);
    return locked;
  }

  succeed(username: string): void {
    this.failures.delete(key(username));
  }

  /** An administrator's reset lifts the lock at once. */
  unlock(username: string): void {
    this.failures.delete(key(username));
  }

  lockedUntil(username: string): number | null {
    const f = this.failures.get(key(username));
    return f && f.lockedUntil > this.now() ? f.lockedUntil : null;
  }

  private trim<V>(map: Map<string, V>): void {
    // Oldest first (insertion order): a flood of made-up names cannot grow memory without bound.
    while (map.size > MAX_TRACKED) map.delete(map.keys().next().value!);
  }
}

const key = (username: string) => username.normalize('NFC').toLowerCase();
