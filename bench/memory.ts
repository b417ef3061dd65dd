// Benchmark 3: memory per connected socket. For each scenario a fresh server process
// (--expose-gc) is warmed up, measured after forced GC, sent N websocket sockets from a
// separate client process, and measured again; (after − before) / N is the cost of one
// socket. sockjwt runs in handshake mode with its defaults: expiry scheduling on, and every
// token has `exp`, `sub` and `jti`. No rule is heard, so the revocation index (built at the first rule) holds none.
//
//   node --import tsx bench/memory.ts [--count 10000] [--rounds 3]
import { parseArgs } from 'node:util';
import { fmt, load, median, provenance, verdict, writeSection } from './lib/report.js';
import { closeSockets, openSockets, startHarness } from './socket/harness.js';
import { SCENARIOS, type ScenarioName } from './socket/scenarios.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '3' },
    'in-flight': { type: 'string', default: '200' },
    scenarios: { type: 'string', default: 'bare,sockjwt-handshake-HS256,thream-HS256' },
    'no-write': { type: 'boolean', default: false },
  },
});
const COUNT = Number(values.count);
const ROUNDS = Number(values.rounds);
const IN_FLIGHT = Number(values['in-flight']);
const loadBefore = load();
const names = values.scenarios.split(',') as ScenarioName[];
if (names[0] !== 'bare' || names[1] !== 'sockjwt-handshake-HS256') throw new Error('--scenarios starts with bare,sockjwt-handshake-HS256');

interface Memory { heapUsed: number; rss: number; sockets: number; sessions?: number }
const samples = new Map<ScenarioName, Array<{ heap: number; rss: number; sessions: number | undefined }>>(names.map((name) => [name, []]));

const harness = await startHarness();
for (let r = 0; r < ROUNDS; r++) {
  for (const name of names) {
    const server = await harness.startServer(name, ['--expose-gc']);
    await openSockets(harness.client, server, name, 500, IN_FLIGHT);
    await closeSockets(harness.client, server);
    const before = await server.call<Memory>('memory');
    const opened = await openSockets(harness.client, server, name, COUNT, IN_FLIGHT);
    if (opened.failed > 0) throw new Error(`${name}: ${opened.failed} sockets failed: ${JSON.stringify(opened.errors)}`);
    const after = await server.call<Memory>('memory');
    if (after.sockets !== COUNT) throw new Error(`${name}: server holds ${after.sockets} sockets, expected ${COUNT}`);
    samples.get(name)!.push({ heap: (after.heapUsed - before.heapUsed) / COUNT, rss: (after.rss - before.rss) / COUNT, sessions: after.sessions });
    await closeSockets(harness.client, server);
    await server.stop();
    process.stderr.write(`${name}: ${Math.round(samples.get(name)!.at(-1)!.heap)} B heap / socket (load ${load()})\n`);
  }
}
await harness.stop();

const rows = names.map((name) => {
  const s = samples.get(name)!;
  return { name, heap: median(s.map((x) => x.heap)), rss: median(s.map((x) => x.rss)), heaps: s.map((x) => Math.round(x.heap)), sessions: s[0]!.sessions };
});
const bare = rows[0]!;
const sockjwt = rows[1]!;
const extra = sockjwt.heap - bare.heap;
const table = [
  '| scenario | heap / socket (B) | extra heap vs bare (B) | RSS / socket (B) | heap per round (B) | live sessions |',
  '|---|---:|---:|---:|---|---:|',
  ...rows.map((r) => `| ${SCENARIOS[r.name].label} | ${fmt(r.heap)} | ${r === bare ? '—' : fmt(r.heap - bare.heap)} | ${fmt(r.rss)} | ${r.heaps.join(', ')} | ${r.sessions === undefined ? '—' : fmt(r.sessions)} |`),
].join('\n');

const body = `## Memory per socket (issue 8, benchmark 3)

${provenance('npm run bench:memory', loadBefore)}

${fmt(COUNT)} websocket sockets from a separate client process into a fresh server process per scenario and round
(\`--expose-gc\`; 500 sockets opened and closed first as warm-up). Heap used and RSS after three forced GCs,
before and after; the difference divided by ${fmt(COUNT)}. Median of ${ROUNDS} rounds.
sockjwt: handshake mode, default options, so expiry scheduling is on; every token carries \`exp\` (1 h), \`sub\` and \`jti\`,
so each session is in the expiry scheduler; no rule is heard, so no revocation index is built (it is, from the live sockets, at the first rule). RSS moves in whole pages and with
the allocator's arenas: read the heap column.

${table}

Target: ≤ 1 KiB (1,024 B) extra heap per authenticated socket: ${fmt(extra)} B — ${verdict(extra <= 1024)}
`;
console.log(body);
if (!values['no-write']) writeSection('memory', body);
process.exit(0);
