// Bundles the agent into one ES module for the board (issue 7): no node_modules, no TypeScript
// loader at run time, so the board runs `node loa-agent.mjs` with the distribution's Node and the
// agent's idle memory stays well under its 60 MB budget (tsx's loader alone costs ~30 MB; see
// scripts/bench/agent-footprint.ts). esbuild comes with tsx, already installed.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

export function agentPackageVersion(): string {
  return (JSON.parse(readFileSync(resolve(ROOT, 'agent/package.json'), 'utf8')) as { version: string }).version;
}

export async function bundleAgent(outfile: string): Promise<{ outfile: string; bytes: number; version: string }> {
  const version = agentPackageVersion();
  const result = await build({
    entryPoints: [resolve(ROOT, 'agent/src/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    // Raspberry Pi OS bookworm ships Node 18.19; trixie 20.19.
    target: 'node18',
    minifySyntax: true,
    // No comments nor indentation: V8 keeps the whole source in memory. Names stay readable in stacks.
    minifyWhitespace: true,
    legalComments: 'none',
    metafile: true,
    define: { LOA_AGENT_VERSION: JSON.stringify(version) },
    // mqtt.js (and ws) are CommonJS inside: give them a `require` in the ES module.
    banner: {
      js: `#!/usr/bin/env node\nimport { createRequire as __loaCreateRequire } from 'node:module';\nconst require = __loaCreateRequire(import.meta.url);`,
    },
    // Optional native speed-ups of ws, absent on purpose.
    external: ['bufferutil', 'utf-8-validate'],
    logLevel: 'warning',
  });
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  return { outfile, bytes, version };
}

// `npx tsx scripts/install/bundle-agent.ts OUT.mjs`
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(process.argv[2] ?? 'agent/dist/loa-agent.mjs');
  const r = await bundleAgent(out);
  process.stdout.write(`bundled agent ${r.version} into ${r.outfile} (${Math.round(r.bytes / 1024)} KiB)\n`);
}
