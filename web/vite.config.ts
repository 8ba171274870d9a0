import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';
import { sizeBudget } from './build/size-budget.js';

export default defineConfig({
  plugins: [preact(), sizeBudget(150)],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rollupOptions: {
      // shared/ is pure code without side effects (DESIGN §2): let the bundler drop what the web
      // app does not use — above all the TypeBox schemas, which only the server and agent need.
      treeshake: { moduleSideEffects: (id) => !id.includes('/shared/src/') },
    },
  },
  server: { proxy: { '/api': { target: 'http://localhost:8080', ws: true } } },
});
