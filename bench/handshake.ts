// Benchmark 2: handshake throughput. A separate client process opens N websocket
// connections (real socket.io-client) with a bounded number in flight, as fast as each
// server accepts them; connections/s until all are connected (message mode: until
// `authenticated`), then all disconnect. Rounds interleave the scenarios (the order
// rotates each round) so drift on this shared machine hits all of them alike.
// Also reported: the server process's CPU time per connection, which the client process
// (on the same 2 cores) does not blur.
//
//   node --import tsx bench/handshake.ts [--rounds 7] [--count 2000] [--in-flight 200]
import { parseArgs } from 'node:util';
import { fmt, load, median, provenance, verdict, writeSection } from './lib/report.js';
import { closeSockets, openSockets, startHarness } from './socket/harness.js';
import { SCENARIOS, type ScenarioName } from './socket/scenarios.js';
import type { Child } from './lib/child.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    count: { type: 'string', default: '2000' },
    'in-flight': { type: 'string', default: '200' },
    scenarios: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(values.rounds);
const COUNT = Number(values.count);
const IN_FLIGHT = Number(values['in-flight']);
const loadBefore = load();

// The baseline-* scenarios load another checkout (BENCH_BASELINE_SRC): by default only when it is set.
const defaultNames = Object.keys(SCENARIOS).filter((name) => !name.startsWith('baseline-') || process.env['BENCH_BASELINE_SRC']);
const names = (values.scenarios?.split(',') ?? defaultNames) as ScenarioName[];
if (names[0] !== 'bare') throw new Error('--scenarios starts with bare');
const harness = await startHarness();
const servers = new Map<ScenarioName, Child>();
for (const name of names) servers.set(name, await harness.startServer(name));

interface Sample { cps: number; cpuUsPerConn: number }
const samples = new Map<ScenarioName, Sample[]>(names.map((name) => [name, []]));
const broken = new Map<ScenarioName, string>();

async function round(name: ScenarioName, count: number): Promise<Sample | undefined> {
  const server = servers.get(name)!;
  const cpu0 = await server.call<NodeJS.CpuUsage>('cpu');
  const result = await openSockets(harness.client, server, name, count, IN_FLIGHT);
  const cpu1 = await server.call<NodeJS.CpuUsage>('cpu');
  await closeSockets(harness.client, server);
  if (result.failed > 0) {
    broken.set(name, `${result.failed}/${count} failed: ${JSON.stringify(result.errors)}`);
    return undefined;
  }
  const cpuUs = cpu1.user - cpu0.user + cpu1.system - cpu0.system;
  return { cps: (count / result.ms) * 1000, cpuUsPerConn: cpuUs / count };
}

// Warm-up: JIT, lazy module paths, socket buffers.
for (const name of names) await round(name, Math.min(500, COUNT));
for (let r = 0; r < ROUNDS; r++) {
  const order = names.map((_, i) => names[(i + r) % names.length]!);
  for (const name of order) {
    if (broken.has(name)) continue;
    const sample = await round(name, COUNT);
    if (sample) samples.get(name)!.push(sample);
  }
  process.stderr.write(`round ${r + 1}/${ROUNDS} done (load ${load()})\n`);
}
await harness.stop();

const rows = names.map((name) => {
  const s = samples.get(name)!;
  return { name, cps: s.length ? median(s.map((x) => x.cps)) : NaN, cpu: s.length ? median(s.map((x) => x.cpuUsPerConn)) : NaN, all: s.map((x) => Math.round(x.cps)) };
});
const bare = rows.find((row) => row.name === 'bare')!;
const row = (name: ScenarioName) => rows.find((r) => r.name === name)!;
const ratio = (name: ScenarioName) => row(name).cps / bare.cps;

/** The bare scenario with the same wire (token in auth, or the authenticate exchange), when it ran. */
function sameWire(name: ScenarioName): (typeof rows)[number] | undefined {
  if (name.startsWith('bare')) return undefined;
  const twin: ScenarioName = SCENARIOS[name].presentation === 'message' ? 'bare-echo' : 'bare-token';
  return names.includes(twin) && !broken.has(twin) ? row(twin) : undefined;
}
const sameWireRatio = (r: (typeof rows)[number]) => {
  const twin = sameWire(r.name);
  return twin ? (r.cpu / twin.cpu).toFixed(2) : '—';
};

const table = [
  '| scenario | connections/s (median) | ratio to bare | server CPU µs / connection | CPU ratio to bare | CPU ratio to bare, same wire | every round (conn/s) |',
  '|---|---:|---:|---:|---:|---:|---|',
  ...rows.map((r) =>
    broken.has(r.name)
      ? `| ${SCENARIOS[r.name].label} | does not run | — | — | — | — | ${broken.get(r.name)} |`
      : `| ${SCENARIOS[r.name].label} | ${fmt(r.cps)} | ${(r.cps / bare.cps).toFixed(3)} | ${fmt(r.cpu)} | ${(r.cpu / bare.cpu).toFixed(2)} | ${sameWireRatio(r)} | ${r.all.join(', ')} |`,
  ),
].join('\n');

const ahead = (peer: ScenarioName) => broken.has(peer) || row('sockjwt-handshake-HS256').cps > row(peer).cps;
const present = (name: ScenarioName) => names.includes(name);
const peerNote = (peer: ScenarioName) => (broken.has(peer) ? 'does not run' : `${(row('sockjwt-handshake-HS256').cps / row(peer).cps).toFixed(2)}× its rate`);
const targets = [
  present('sockjwt-handshake-HS256') && `- HS256 handshake ≥ 95 % of bare: ${(ratio('sockjwt-handshake-HS256') * 100).toFixed(1)} % — ${verdict(ratio('sockjwt-handshake-HS256') >= 0.95)}`,
  present('sockjwt-handshake-ES256') && `- ES256 handshake ≥ 90 % of bare: ${(ratio('sockjwt-handshake-ES256') * 100).toFixed(1)} % — ${verdict(ratio('sockjwt-handshake-ES256') >= 0.9)}`,
  present('thream-HS256') && `- ahead of @thream/socketio-jwt (HS256): ${peerNote('thream-HS256')} — ${verdict(ahead('thream-HS256'))}`,
  present('socketio-jwt-HS256') && `- ahead of socketio-jwt 4.6.2 (HS256): ${peerNote('socketio-jwt-HS256')} — ${verdict(ahead('socketio-jwt-HS256'))}`,
].filter(Boolean).join('\n');

const body = `## Handshake throughput (issue 8, benchmark 2)

${provenance('npm run bench:handshake', loadBefore)}

One server process per scenario, all with \`new Server(http, { transports: ['websocket'] })\` and nothing else
but the auth layer; one separate client process (socket.io-client ${(await import('socket.io-client/package.json', { with: { type: 'json' } })).default.version})
opens ${fmt(COUNT)} websocket connections, ${IN_FLIGHT} in flight, each with its own token (own \`sub\` and \`jti\`, \`exp\` in 1 h),
until all are connected (message mode: until \`authenticated\`), then disconnects them all. One warm-up round,
then ${ROUNDS} rounds, scenarios interleaved with the order rotated each round; medians reported.
The client process shares the 2 cores with the server, so connections/s compresses differences;
the server's own CPU time per connection (\`process.cpuUsage()\` over the round) shows them undiluted.

${table}

Targets:
${targets}
`;
console.log(body);
if (!values['no-write']) writeSection('handshake', body);
process.exit(0);
