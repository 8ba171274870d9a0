// What ran during the server's longest event-loop stalls: matches the stalls of a fleet run's
// `--stalls DIR` log with the CPU profile of the same run (`--profile DIR`), whose samples share
// its monotonic clock.
//   node scripts/bench/lib/stalls-in-profile.mjs PROFILE.cpuprofile STALLS.jsonl [MIN_MS=250]
// For each stall: the functions that used its time (self), and the first frame of ours under
// which they ran (a feature of server/ or shared/, or the event loop's own phase).
import { readFileSync } from 'node:fs';

const [profileFile, stallsFile, minArg = '250'] = process.argv.slice(2);
if (!profileFile || !stallsFile) {
  console.error('usage: stalls-in-profile.mjs PROFILE.cpuprofile STALLS.jsonl [MIN_MS]');
  process.exit(2);
}
const p = JSON.parse(readFileSync(profileFile, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const name = (n) =>
  `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/.*node_modules\//, '').replace(/.*\/(server|shared|agent)\/src\//, '$1/')}`;
let t = p.startTime;
const times = p.samples.map((_, i) => (t += p.timeDeltas[i]));
const ours = (id) => {
  const chain = [];
  for (let x = id; x !== undefined; x = parent.get(x)) chain.push(byId.get(x));
  const mine = [...chain].reverse().find((n) => /\/(server|shared)\/src\//.test(n.callFrame.url));
  return name(mine ?? chain[Math.max(0, chain.length - 2)]);
};
const top = (m) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([k, v]) => `${v.toFixed(0)} ms ${k}`)
    .join('; ');
const stalls = readFileSync(stallsFile, 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l))
  .filter((s) => s.kind === 'stall' && s.ms >= Number(minArg));
for (const s of stalls) {
  const from = s.monoUs - s.ms * 1000;
  const self = new Map();
  const under = new Map();
  let sampled = 0;
  for (let i = 0; i < times.length - 1; i++) {
    if (times[i] < from || times[i] > s.monoUs) continue;
    const dt = p.timeDeltas[i + 1] / 1000;
    sampled += dt;
    const n = byId.get(p.samples[i]);
    self.set(name(n), (self.get(name(n)) ?? 0) + dt);
    const o = ours(p.samples[i]);
    under.set(o, (under.get(o) ?? 0) + dt);
  }
  console.log(`\nstall of ${s.ms} ms at +${s.atS.toFixed(1)} s (${sampled.toFixed(0)} ms sampled)`);
  console.log(`  self:  ${top(self)}`);
  console.log(`  under: ${top(under)}`);
}
