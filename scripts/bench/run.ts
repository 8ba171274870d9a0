// `npm run bench -- NAME [args]` runs the benchmark scripts/bench/NAME.ts. A benchmark is a module
// that exports `main(args: string[])` (sync or async); one that runs on import also works, and
// finds its arguments in process.argv.slice(2). An unknown or missing NAME lists what exists.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
  .map((f) => f.slice(0, -'.ts'.length))
  .sort();

const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  if (name) console.error(`No benchmark named '${name}'.`);
  console.error(`Usage: npm run bench -- NAME [args]\nAvailable: ${available.join(', ') || '(none)'}`);
  process.exit(name ? 2 : 1);
}

const file = join(here, `${name}.ts`);
process.argv = [process.argv[0]!, file, ...args];
const mod = (await import(pathToFileURL(file).href)) as { main?: (args: string[]) => unknown };
if (typeof mod.main === 'function') {
  await mod.main(args);
  // A benchmark is over when its main returns: whatever it left behind (the fleet's simulated units
  // still reconnecting to a server that died) must not keep the machine busy for the next one.
  process.exit(process.exitCode ?? 0);
}
