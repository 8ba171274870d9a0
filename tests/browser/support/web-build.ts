// Builds the web app once per change of its sources, into a temporary directory named by the hash
// of those sources, and hands that directory to the server (WEB_DIR). Browser test files running
// in parallel share one build; web/dist, which `npm start` serves, is never touched by tests.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../..');
const INPUTS = ['web/src', 'web/build', 'web/index.html', 'web/vite.config.ts', 'web/package.json', 'shared/src'];

/**
 * Vitest sets NODE_ENV=test, which a child inherits: Vite then builds with Preact's debug code in
 * (4 KB more gzipped). The tests serve, and the log reports, the production build.
 */
const BUILD_ENV = { NODE_ENV: 'production' };

function hashInputs(): string {
  const hash = createHash('sha256').update(JSON.stringify(BUILD_ENV));
  const walk = (path: string) => {
    const abs = join(ROOT, path);
    if (!existsSync(abs)) return;
    if (statSync(abs).isDirectory()) {
      for (const name of readdirSync(abs).sort()) walk(join(path, name));
      return;
    }
    hash.update(relative(ROOT, abs)).update('\0').update(readFileSync(abs)).update('\0');
  };
  INPUTS.forEach(walk);
  return hash.digest('hex').slice(0, 16);
}

function run(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...BUILD_ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolvePromise(out) : reject(new Error(`vite build failed (${code}):\n${out}`)),
    );
  });
}

/** The size table of a build's output (web/build/size-budget.ts), or a line saying it is missing. */
export function sizeReport(output: string): string {
  const table = /^Initial JavaScript \(gzipped\):[\s\S]*?^Loaded on demand/m.exec(output);
  if (!table) return 'web build: no size report in the output of vite build';
  return `web build: ${table[0].replace(/\nLoaded on demand$/, '')}`;
}

/** The directory of a build of the current sources (built now if there is none yet). */
export async function buildWeb(): Promise<string> {
  const dir = join(tmpdir(), `loa-web-${hashInputs()}`);
  if (existsSync(join(dir, 'index.html'))) return dir;
  const staging = mkdtempSync(join(tmpdir(), 'loa-web-build-'));
  const output = await run(
    process.execPath,
    [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', staging, '--emptyOutDir'],
    join(ROOT, 'web'),
  );
  // Issue #5's bar (initial JavaScript ≤ 150 KB gzipped) shows in the test log, CI's included:
  // the size table that web/build/size-budget.ts prints, from the one test file that built.
  console.log(sizeReport(output));
  try {
    renameSync(staging, dir);
  } catch {
    // Another test file built the same sources at the same moment: use theirs.
    rmSync(staging, { recursive: true, force: true });
  }
  // Builds of older sources, a day unused, are of no more use.
  for (const name of readdirSync(tmpdir())) {
    const old = join(tmpdir(), name);
    if (/^loa-web-[0-9a-f]{16}$/.test(name) && old !== dir && Date.now() - statSync(old).mtimeMs > 86_400_000)
      rmSync(old, { recursive: true, force: true });
  }
  return dir;
}
