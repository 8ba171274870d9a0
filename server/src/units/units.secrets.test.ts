import { describe, expect, it } from 'vitest';
import { commandLineToken } from './units.secrets.js';

describe('commandLineToken', () => {
  it('is 256 bits of base64url that never starts with a dash (read as an option after --secret)', () => {
    // Without the redraw, one in 64 would start with '-': 5,000 draws meet ~78 of them.
    const tokens = Array.from({ length: 5_000 }, commandLineToken);
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{42}$/);
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(tokens.some((t) => t.includes('-'))).toBe(true); // still the whole alphabet after the first
  });
});
