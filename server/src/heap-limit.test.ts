// When the server tells the operator to bound its heap (issue #10; the start itself, by npm and by
// node, is tested in tests/server-process.e2e.test.ts).
import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { HEAP_LIMIT_FLAG, heapLimitAdvice, heapLimitMb } from './heap-limit.js';

describe('heapLimitAdvice', () => {
  it('speaks for a limit of 2 GB or more, where V8 grows a heap fourfold, and says what to set', () => {
    expect(HEAP_LIMIT_FLAG).toBe('--max-old-space-size=1024');
    expect(heapLimitAdvice(4144)).toMatch(/4144 MB.*NODE_OPTIONS=--max-old-space-size=1024.*Environment=NODE_OPTIONS=/);
    expect(heapLimitAdvice(2048)).toBeDefined();
    expect(heapLimitAdvice(2047)).toBeUndefined();
    expect(heapLimitAdvice(1072)).toBeUndefined(); // what --max-old-space-size=1024 gives, young generation included
  });

  it("reads this process's limit", () => {
    expect(heapLimitMb()).toBe(Math.round(getHeapStatistics().heap_size_limit / 2 ** 20));
  });
});
