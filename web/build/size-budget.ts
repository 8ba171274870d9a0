// Prints the JavaScript a first visit downloads — the entry chunk and every chunk it imports
// statically — gzipped, and fails the build above the budget (issue #5: ≤ 150 KB). Screens load
// on demand (routes.ts) and are listed apart.
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

interface Chunk {
  type: 'chunk';
  fileName: string;
  code: string;
  isEntry: boolean;
  imports: string[];
}

export function sizeBudget(limitKb: number): Plugin {
  return {
    name: 'loa-size-budget',
    apply: 'build',
    generateBundle(_options, bundle) {
      const chunks = new Map<string, Chunk>();
      for (const item of Object.values(bundle)) if (item.type === 'chunk') chunks.set(item.fileName, item as Chunk);
      const gz = (c: Chunk) => gzipSync(c.code, { level: 9 }).length;
      const initial = new Set<string>();
      const visit = (name: string) => {
        if (initial.has(name)) return;
        initial.add(name);
        for (const dep of chunks.get(name)?.imports ?? []) visit(dep);
      };
      for (const c of chunks.values()) if (c.isEntry) visit(c.fileName);
      const kb = (n: number) => `${(n / 1024).toFixed(1).padStart(7)} KB`;
      let total = 0;
      const lines = ['', 'Initial JavaScript (gzipped):'];
      for (const name of initial) {
        const size = gz(chunks.get(name)!);
        total += size;
        lines.push(`  ${kb(size)}  ${name}`);
      }
      lines.push(`  ${kb(total)}  total — budget ${limitKb} KB`, 'Loaded on demand (gzipped):');
      for (const c of chunks.values()) if (!initial.has(c.fileName)) lines.push(`  ${kb(gz(c))}  ${c.fileName}`);
      console.log(lines.join('\n') + '\n');
      if (total > limitKb * 1024)
        this.error(`Initial JavaScript is ${(total / 1024).toFixed(1)} KB gzipped, over the ${limitKb} KB budget.`);
    },
  };
}
