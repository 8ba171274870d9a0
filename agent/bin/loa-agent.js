#!/usr/bin/env node
// The `loa-agent` command: runs src/main.ts through tsx's ESM loader, so the board needs no build
// step (the same TypeScript `npm run agent` runs).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
