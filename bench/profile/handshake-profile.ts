// Profiling aid: a CPU profile (node --cpu-prof) of one scenario's server while it accepts
// rounds of connections, summarised as self time per function and per package.
//
//   node --import tsx bench/profile/handshake-profile.ts [scenario] [rounds] [count]
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeSockets, openSockets, startHarness } from '../socket/harness.js';
import type { ScenarioName } from '../socket/scenarios.js';

const SCENARIO = (process.argv[2] ?? 'sockjwt-handshake-HS256') as ScenarioName;
const ROUNDS = Number(process.argv[3] ?? 5);
const COUNT = Number(process.argv[4] ?? 2000);
const dir = mkdtempSync(join(tmpdir(), 'sockjwt-prof-'));

const harness = await startHarness();
const server = await harness.startServer(SCENARIO, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
for (let r = 0; r < ROUNDS; r++) {
  await openSockets(harness.client, server, SCENARIO, COUNT, 200);
  await closeSockets(harness.client, server);
}
await harness.stop();

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
const profile = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
for (const node of profile.nodes) {
  const us = self.get(node.id) ?? 0;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(src|bench)\//, '$1/');
  byFunction.set(`${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`, (byFunction.get(`${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`) ?? 0) + us);
  const pkg = url === '' ? `(${functionName || 'native'})` : url.startsWith('node:') ? 'node core' : url.includes('node_modules/') ? url.replace(/^.*node_modules\/((@[^/]+\/)?[^/]+).*$/, '$1') : where.split('/')[0]!;
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
}
const top = (map: Map<string, number>, n: number) =>
  [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, us]) => ({ name, ms: Math.round(us / 1000), share: `${((us / total) * 100).toFixed(1)} %`, usPerConn: +(us / (ROUNDS * COUNT)).toFixed(1) }));
console.log(`${SCENARIO}: ${ROUNDS} × ${COUNT} connections, profile in ${dir}`);
console.table(top(byPackage, 15));
console.table(top(byFunction, 30));
process.exit(0);
