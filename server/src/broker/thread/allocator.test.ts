// When the server tells the operator to bound glibc's arenas (issue #10; the start itself is
// tested in tests/server-process.e2e.test.ts).
import { describe, expect, it } from 'vitest';
import { allocatorAdvice, glibcVersion } from './allocator.js';

describe('allocatorAdvice', () => {
  it('speaks only for the broker thread on glibc without MALLOC_ARENA_MAX', () => {
    const glibc = '2.36';
    expect(allocatorAdvice({ brokerThread: true, env: {}, glibc })).toMatch(/Environment=MALLOC_ARENA_MAX=2/);
    expect(allocatorAdvice({ brokerThread: true, env: { MALLOC_ARENA_MAX: '4' }, glibc })).toBeUndefined();
    expect(allocatorAdvice({ brokerThread: false, env: {}, glibc })).toBeUndefined();
    expect(allocatorAdvice({ brokerThread: true, env: {}, glibc: undefined })).toBeUndefined();
  });

  it("reads this machine's glibc (Debian's, here)", () => {
    expect(glibcVersion()).toMatch(/^2\.\d+$/);
  });
});
