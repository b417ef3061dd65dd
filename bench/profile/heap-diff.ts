// Profiling aid: where the heap of N sockets goes, by object kind, scenario against bare.
//
//   node --import tsx bench/profile/heap-diff.ts [count] [scenario]
//
// Opens `count` sockets (default 3,000) into a bare server and into the scenario's server
// (default sockjwt handshake HS256), writes a heap snapshot of each, and prints the
// (type, name) groups whose retained-by-self size per socket differs most.
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeSockets, openSockets, startHarness } from '../socket/harness.js';
import type { ScenarioName } from '../socket/scenarios.js';

const COUNT = Number(process.argv[2] ?? 3000);
const SCENARIO = (process.argv[3] ?? 'sockjwt-handshake-HS256') as ScenarioName;

function summarise(file: string): Map<string, { size: number; count: number }> {
  const snapshot = JSON.parse(readFileSync(file, 'utf8'));
  const fields: string[] = snapshot.snapshot.meta.node_fields;
  const types: string[] = snapshot.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const nodes: number[] = snapshot.nodes;
  const groups = new Map<string, { size: number; count: number }>();
  for (let i = 0; i < nodes.length; i += fields.length) {
    const type = types[nodes[i + typeAt]!]!;
    const name = type === 'string' || type === 'concatenated string' || type === 'sliced string' ? '' : String(snapshot.strings[nodes[i + nameAt]!]).slice(0, 60);
    const key = `${type} ${name}`;
    const group = groups.get(key) ?? { size: 0, count: 0 };
    group.size += nodes[i + sizeAt]!;
    group.count++;
    groups.set(key, group);
  }
  return groups;
}

const harness = await startHarness();
const result: Record<string, Map<string, { size: number; count: number }>> = {};
for (const name of ['bare', SCENARIO] as ScenarioName[]) {
  const server = await harness.startServer(name, ['--expose-gc']);
  await openSockets(harness.client, server, name, 200, 100);
  await closeSockets(harness.client, server);
  const opened = await openSockets(harness.client, server, name, COUNT, 200);
  if (opened.failed) throw new Error(JSON.stringify(opened.errors));
  await server.call('memory');
  const file = join(tmpdir(), `sockjwt-${name}-${process.pid}.heapsnapshot`);
  await server.call('snapshot', { file });
  result[name] = summarise(file);
  rmSync(file);
  await closeSockets(harness.client, server);
  await server.stop();
}
await harness.stop();
const [bare, other] = [result['bare']!, result[SCENARIO]!];
const keys = new Set([...bare.keys(), ...other.keys()]);
const rows = [...keys]
  .map((key) => ({ key, bytesPerSocket: ((other.get(key)?.size ?? 0) - (bare.get(key)?.size ?? 0)) / COUNT, objectsPerSocket: ((other.get(key)?.count ?? 0) - (bare.get(key)?.count ?? 0)) / COUNT }))
  .filter((row) => Math.abs(row.bytesPerSocket) >= 4)
  .sort((a, b) => b.bytesPerSocket - a.bytesPerSocket);
const total = rows.reduce((sum, row) => sum + row.bytesPerSocket, 0);
console.log(`${SCENARIO} vs bare, ${COUNT} sockets: ${total.toFixed(0)} B per socket in groups of ≥ 4 B`);
console.table(rows.slice(0, 30).map((row) => ({ ...row, bytesPerSocket: Math.round(row.bytesPerSocket), objectsPerSocket: +row.objectsPerSocket.toFixed(2) })));
process.exit(0);
