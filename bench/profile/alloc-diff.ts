// Profiling aid: the bytes one scenario's server allocates per connection beyond another's,
// function by function. Allocation, unlike CPU time, does not move with the machine's load, so
// it judges small changes on the connection path that CPU readings on a shared 2-core machine
// cannot; and in a server busy admitting sockets, every allocated byte costs twice: its own
// write, and the scavenges it brings forward, each copying the young sockets still alive.
//
// Each server runs V8's sampling heap profiler over the connecting phase of its rounds, keeping
// the samples of objects already collected (so the total is what was allocated, not what
// survived); the sizes are scaled by V8 and divided by the connections. After a warm-up round.
//
//   node --import tsx bench/profile/alloc-diff.ts <scenarioA> <scenarioB> [rounds=3] [count=2000] [--top 20] [--interval 256]
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { closeSockets, openSockets, prepareTokens, startHarness } from '../socket/harness.js';
import { SCENARIOS, type ScenarioName } from '../socket/scenarios.js';
import type { Child } from '../lib/child.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '20' }, interval: { type: 'string', default: '256' }, 'in-flight': { type: 'string', default: '200' } },
});
const [A, B] = positionals as [ScenarioName, ScenarioName];
if (!A || !B || !SCENARIOS[A] || !SCENARIOS[B]) throw new Error(`usage: alloc-diff.ts <scenarioA> <scenarioB> [rounds] [count]; scenarios: ${Object.keys(SCENARIOS).join(', ')}`);
const ROUNDS = Number(positionals[2] ?? 3);
const COUNT = Number(positionals[3] ?? 2000);
const TOP = Number(values.top);
const IN_FLIGHT = Number(values['in-flight']);
const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

const harness = await startHarness();
const servers = new Map<ScenarioName, Child>();
for (const name of [A, B]) servers.set(name, await harness.startServer(name, ['--expose-gc']));
/** Bytes per function key, summed over the rounds. */
const bytes = new Map<ScenarioName, Map<string, number>>([[A, new Map()], [B, new Map()]]);

async function round(name: ScenarioName, measured: boolean): Promise<void> {
  const server = servers.get(name)!;
  await prepareTokens(harness.client, name, COUNT);
  await server.call('gc', { settleMs: 50 });
  if (measured) await server.call('allocStart', { intervalBytes: Number(values.interval) });
  const opened = await openSockets(harness.client, server, name, COUNT, IN_FLIGHT);
  if (opened.failed > 0) throw new Error(`${name}: ${opened.failed} connections failed: ${JSON.stringify(opened.errors)}`);
  if (measured) add(bytes.get(name)!, (await server.call<{ head: ProfileNode }>('allocStop')).head);
  await closeSockets(harness.client, server);
}

function add(into: Map<string, number>, node: ProfileNode): void {
  if (node.selfSize > 0) {
    const key = where(node.callFrame);
    into.set(key, (into.get(key) ?? 0) + node.selfSize);
  }
  for (const child of node.children) add(into, child);
}

function where({ functionName, url, lineNumber }: ProfileNode['callFrame']): string {
  const name = functionName || '(anonymous)';
  if (!url) return `\`${name}\` (${name.startsWith('(') ? 'V8' : 'native'})`;
  const path = url.replace(/^file:\/\//, '');
  const short = path.startsWith(ROOT) ? relative(ROOT, path).replace(/^node_modules\//, '') : path;
  return `\`${name}\` ${short}:${lineNumber + 1}`;
}

try {
  for (const name of [A, B]) await round(name, false);
  for (let r = 0; r < ROUNDS; r++) for (const name of r % 2 === 0 ? [A, B] : [B, A]) await round(name, true);
} finally {
  await harness.stop();
}

const perConn = (name: ScenarioName, key: string) => (bytes.get(name)!.get(key) ?? 0) / (ROUNDS * COUNT);
const total = (name: ScenarioName) => [...bytes.get(name)!.values()].reduce((a, b) => a + b, 0) / (ROUNDS * COUNT);
const keys = new Set([...bytes.get(A)!.keys(), ...bytes.get(B)!.keys()]);
const rows = [...keys].map((key) => ({ key, a: perConn(A, key), b: perConn(B, key) })).sort((x, y) => y.a - y.b - (x.a - x.b));
const f = (n: number) => n.toFixed(0);
console.log(`## Bytes allocated per connection (server, connecting phase): \`${A}\` − \`${B}\`

Command: \`node --import tsx bench/profile/alloc-diff.ts ${A} ${B} ${ROUNDS} ${COUNT}\` (sampling interval ${values.interval} B, collected objects kept). Node ${process.version}.

| scenario | bytes / connection |
|---|---:|
| ${A} | ${f(total(A))} |
| ${B} | ${f(total(B))} |
| A − B | ${f(total(A) - total(B))} |

Top ${TOP}, A − B:

| function | ${A} | ${B} | A − B |
|---|---:|---:|---:|
${rows.slice(0, TOP).map((r) => `| ${r.key} | ${f(r.a)} | ${f(r.b)} | ${f(r.a - r.b)} |`).join('\n')}

Largest B − A:

| function | ${A} | ${B} | A − B |
|---|---:|---:|---:|
${rows.slice(-5).reverse().map((r) => `| ${r.key} | ${f(r.a)} | ${f(r.b)} | ${f(r.a - r.b)} |`).join('\n')}`);
