// Issue #5: errors in words that tell the operator what to do. Every `error` code the server can
// answer must have its sentence in both of the web app's dictionaries, or the page falls back to
// "the server refused" and the server's English. Both sides are read as text (the web app never
// imports the server), so a code added to the server without a sentence in the app fails here.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const SERVER = join(ROOT, 'server/src');
const PATTERNS = [
  // new HttpError(404, 'unit-not-found', …), also split over lines
  /HttpError\(\s*\d+,\s*'([a-z0-9-]+)'/g,
  // deny(reply, 403, 'csrf-mismatch', …) in the auth hook
  /deny\(\s*reply,\s*\d+,\s*'([a-z0-9-]+)'/g,
  // reply.send({ error: 'no-plan', … }) written by hand
  /\berror: '([a-z0-9-]+)'/g,
];

/** Each code the server's own code (not its tests) can answer with, and a file that does. */
function serverCodes(): Map<string, string> {
  const codes = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (name !== 'testing') walk(path);
      } else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const re of PATTERNS) for (const m of text.matchAll(re)) codes.set(m[1]!, path.slice(SERVER.length + 1));
      }
    }
  };
  walk(SERVER);
  return codes;
}

describe("the web app's error sentences", () => {
  const codes = serverCodes();
  const dictionaries = Object.fromEntries(
    ['vi', 'en'].map((lang) => [lang, readFileSync(join(ROOT, `web/src/i18n/${lang}.ts`), 'utf8')]),
  );

  it("still find the server's codes (the patterns follow its habits)", () => {
    for (const code of ['unit-not-found', 'csrf-mismatch', 'no-plan', 'invalid-request', 'unit-revoked'])
      expect(codes.has(code), code).toBe(true);
    expect(codes.size).toBeGreaterThan(80);
  });

  it.each(['vi', 'en'])('have a %s sentence for every code the server can answer', (lang) => {
    const missing = [...codes]
      .filter(([code]) => !dictionaries[lang]!.includes(`'error.${code}':`))
      .map(([code, file]) => `${code} (${file})`);
    expect(missing).toEqual([]);
  });
});
