// The agent's version, reported in status and telemetry: fixed at build time in the bundle a board
// runs (scripts/install/bundle-agent.ts defines LOA_AGENT_VERSION), else read from package.json.
import { readFileSync } from 'node:fs';

declare const LOA_AGENT_VERSION: string | undefined;

let cached: string | undefined;

export function agentVersion(): string {
  if (cached === undefined) {
    if (typeof LOA_AGENT_VERSION === 'string') return (cached = LOA_AGENT_VERSION);
    try {
      const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
        version?: unknown;
      };
      cached = typeof pkg.version === 'string' ? pkg.version.slice(0, 64) : 'unknown';
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}
