// Benchmark 2: handshake throughput and server CPU per connection. A separate client process
// opens N websocket connections (real socket.io-client) with a bounded number in flight, as
// fast as each server accepts them; connections/s until all are connected (message mode:
// until `authenticated`), then all disconnect. One server process per scenario. Rounds
// interleave the scenarios (the order rotates each round) so drift on this shared machine
// hits all of them alike.
//
// Before each scenario's turn in a round, the client's and that server's heaps are collected
// (forced GC, then a short settle wait for the concurrent sweeper), so a round is not billed
// for the previous one's garbage; the tokens are signed before that, outside every reading.
// The server's CPU time (`process.cpuUsage()`) is read around the connecting phase, and again
// after the disconnects (reported apart). Single scenario medians drift with the machine's
// load; the steadier numbers are the PAIRED ratios: in each round, a scenario's CPU per
// connection over its same-wire twin's (bare-token for handshake presentations, bare-echo for
// message mode) in that same round, then the median and interquartile range over the rounds.
//
// Each verifying server also measures node:crypto's signature check alone on fresh tokens of
// its algorithm (`sigcheck`, CPU µs per token) every round, so "what sockjwt adds beyond the
// signature check" = CPU/conn − same-wire CPU/conn − sigcheck, paired per round. A tight loop has
// warm caches; inside a handshake the same check costs more, and more so for the slower algorithms,
// so the floor-<alg> scenarios run node:crypto's check in a middleware on the same wire, and the
// budget for ES256 and RS256 is also judged against them: (sockjwt-X − floor-X) against HS256's.
//
//   node --import tsx bench/handshake.ts [--rounds 15] [--count 2000] [--in-flight 200]
//     [--settle 100] [--sigcheck-count 500] [--scenarios bare,…] [--no-write]
import { parseArgs } from 'node:util';
import { fmt, load, median, provenance, verdict, writeSection } from './lib/report.js';
import { closeSockets, openSockets, prepareTokens, startHarness } from './socket/harness.js';
import { SCENARIOS, type ScenarioName } from './socket/scenarios.js';
import type { Child } from './lib/child.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '15' },
    count: { type: 'string', default: '2000' },
    'in-flight': { type: 'string', default: '200' },
    settle: { type: 'string', default: '100' },
    'sigcheck-count': { type: 'string', default: '500' },
    scenarios: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(values.rounds);
const COUNT = Number(values.count);
const IN_FLIGHT = Number(values['in-flight']);
const SETTLE_MS = Number(values.settle);
const SIGCHECK_COUNT = Number(values['sigcheck-count']);
const loadBefore = load();
const started = performance.now();

// The baseline-* scenarios load another checkout (BENCH_BASELINE_SRC): by default only when it is set.
const defaultNames = Object.keys(SCENARIOS).filter((name) => !name.startsWith('baseline-') || process.env['BENCH_BASELINE_SRC']);
const names = (values.scenarios?.split(',') ?? defaultNames) as ScenarioName[];
if (names[0] !== 'bare') throw new Error('--scenarios starts with bare');
for (const name of names) if (!SCENARIOS[name]) throw new Error(`unknown scenario ${name}`);
const verifies = (name: ScenarioName) => !name.startsWith('bare');

const harness = await startHarness();
const servers = new Map<ScenarioName, Child>();
for (const name of names) servers.set(name, await harness.startServer(name, ['--expose-gc']));

interface Sample {
  cps: number;
  /** Server CPU µs per connection while connecting. */
  cpu: number;
  /** Of that, the server's main thread (the JavaScript; the rest is GC helper threads and such), when /proc tells. */
  mainCpu?: number;
  /** Server CPU µs per connection while the client disconnects them all. */
  closeCpu: number;
  /** Client process CPU µs per connection while connecting. */
  clientCpu: number;
  /** node:crypto's signature check alone, CPU µs per token, in this server this round. */
  sig?: number;
}
/** samples.get(name)[round]: undefined when the scenario did not run that round. */
const samples = new Map<ScenarioName, Array<Sample | undefined>>(names.map((name) => [name, []]));
const broken = new Map<ScenarioName, string>();
const loads: number[] = [];

type CpuReading = NodeJS.CpuUsage & { threads?: { main: number; profiler: number; other: number } };
const cpuUs = (c: NodeJS.CpuUsage) => c.user + c.system;

async function round(name: ScenarioName, count: number): Promise<Sample | undefined> {
  const server = servers.get(name)!;
  const { client } = harness;
  await prepareTokens(client, name, count);
  await client.call('gc');
  await server.call('gc', { settleMs: SETTLE_MS });
  const [s0, c0] = await Promise.all([server.call<CpuReading>('cpu'), client.call<NodeJS.CpuUsage>('cpu')]);
  const result = await openSockets(client, server, name, count, IN_FLIGHT);
  const [s1, c1] = await Promise.all([server.call<CpuReading>('cpu'), client.call<NodeJS.CpuUsage>('cpu')]);
  await closeSockets(client, server);
  const s2 = await server.call<NodeJS.CpuUsage>('cpu');
  if (result.failed > 0) {
    broken.set(name, `${result.failed}/${count} failed: ${JSON.stringify(result.errors)}`);
    return undefined;
  }
  const sig = verifies(name) ? (await server.call<{ usPerToken: number }>('sigcheck', { count: SIGCHECK_COUNT, batches: 3 })).usPerToken : undefined;
  return {
    cps: (count / result.ms) * 1000,
    cpu: (cpuUs(s1) - cpuUs(s0)) / count,
    ...(s0.threads && s1.threads && { mainCpu: (s1.threads.main - s0.threads.main) / 1000 / count }),
    closeCpu: (cpuUs(s2) - cpuUs(s1)) / count,
    clientCpu: (cpuUs(c1) - cpuUs(c0)) / count,
    ...(sig !== undefined && { sig }),
  };
}

// Warm-up: JIT, lazy module paths, socket buffers, the sigcheck tokens.
for (const name of names) await round(name, Math.min(500, COUNT));
process.stderr.write(`warm-up done (load ${load()})\n`);
for (let r = 0; r < ROUNDS; r++) {
  const roundStart = performance.now();
  const order = names.map((_, i) => names[(i + r) % names.length]!);
  for (const name of order) {
    if (broken.has(name)) continue;
    samples.get(name)![r] = await round(name, COUNT);
  }
  loads.push(Number(load().split(',')[0]));
  process.stderr.write(`round ${r + 1}/${ROUNDS} done in ${((performance.now() - roundStart) / 1000).toFixed(1)} s (load ${load()})\n`);
}
await harness.stop();
const minutes = (performance.now() - started) / 60_000;

// ------------------------------------------------------------------ statistics

/** Linear-interpolation quantile (R type 7). */
function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (at - lo);
}
/**
 * A distribution-free confidence interval of the median: order statistics k and n+1−k, with
 * the largest k whose coverage 1 − 2·P(Binomial(n, ½) < k) is still ≥ 95 % (n = 15: 4th and 12th,
 * 96.5 %). Below n = 6 no such k exists: min–max, with its coverage.
 */
function medianCI(xs: readonly number[]): { lo: number; hi: number; coverage: number } {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  let k = 1;
  let c = 1; // C(n, k − 1)
  let tail = 1 / 2 ** n; // P(X < k), X ~ Binomial(n, ½)
  for (;;) {
    const cNext = (c * (n - k + 1)) / k; // C(n, k)
    const tailNext = tail + cNext / 2 ** n; // P(X < k + 1)
    if (1 - 2 * tailNext < 0.95 || k + 1 > n - k) break;
    k++;
    c = cNext;
    tail = tailNext;
  }
  return { lo: s[k - 1]!, hi: s[n - k]!, coverage: 1 - 2 * tail };
}
interface Spread { median: number; q1: number; q3: number; min: number; max: number; n: number; ci: { lo: number; hi: number; coverage: number } }
const spread = (xs: readonly number[]): Spread => ({
  median: xs.length ? median(xs) : NaN,
  q1: quantile(xs, 0.25),
  q3: quantile(xs, 0.75),
  min: Math.min(...xs),
  max: Math.max(...xs),
  n: xs.length,
  ci: medianCI(xs),
});
/** Per round, f(this round's samples of a and b), over the rounds where both ran. */
function paired(a: ScenarioName, b: ScenarioName, f: (x: Sample, y: Sample) => number | undefined): Spread | undefined {
  if (!names.includes(a) || !names.includes(b)) return undefined;
  const xs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const x = samples.get(a)![r];
    const y = samples.get(b)![r];
    if (!x || !y) continue;
    const v = f(x, y);
    if (v !== undefined && Number.isFinite(v)) xs.push(v);
  }
  return xs.length ? spread(xs) : undefined;
}
/** Per round, (a − b) − (c − d) of the CPU per connection: a difference of differences, paired. */
function pairedFour(a: ScenarioName, b: ScenarioName, c: ScenarioName, d: ScenarioName): Spread {
  const xs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const [w, x, y, z] = [a, b, c, d].map((name) => samples.get(name)![r]);
    if (w && x && y && z) xs.push(w.cpu - x.cpu - (y.cpu - z.cpu));
  }
  return spread(xs);
}
const of = (name: ScenarioName, f: (x: Sample) => number | undefined): Spread | undefined => {
  const xs = (samples.get(name) ?? []).flatMap((x) => (x && f(x) !== undefined ? [f(x)!] : []));
  return xs.length ? spread(xs) : undefined;
};
const cpuRatio = (x: Sample, y: Sample) => x.cpu / y.cpu;

/** The bare scenario with the same wire: bare-token for handshake presentations, bare-echo for message mode. */
function twinOf(name: ScenarioName): ScenarioName | undefined {
  if (name.startsWith('bare')) return undefined;
  return SCENARIOS[name].presentation === 'message' ? 'bare-echo' : 'bare-token';
}
/** Same wire exactly (auth token / authenticate exchange), or only nearly (query string, "Bearer " prefix). */
const twinMark = (name: ScenarioName) => (['query', 'bearer-auth'].includes(SCENARIOS[name].presentation) ? '≈' : '');
/** sockjwt-X's counterpart from the baseline checkout, when it ran. */
const baselineOf = (name: ScenarioName): ScenarioName | undefined => {
  const b = name.replace(/^sockjwt-/, 'baseline-') as ScenarioName;
  return name.startsWith('sockjwt-') && names.includes(b) ? b : undefined;
};
/** Server CPU µs / connection beyond the same wire and beyond the signature check, this round. */
const added = (x: Sample, twin: Sample) => (x.sig === undefined ? undefined : x.cpu - twin.cpu - x.sig);

// ------------------------------------------------------------------ formatting

const d = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : '—');
const ratioCell = (s: Spread | undefined) => (s ? `${d(s.median, 3)} [${d(s.q1, 3)}–${d(s.q3, 3)}]` : '—');
const usCell = (s: Spread | undefined, digits = 0) => (s ? `${fmt(s.median, digits)} [${fmt(s.q1, digits)}–${fmt(s.q3, digits)}]` : '—');
const label = (name: ScenarioName) => SCENARIOS[name].label;
const runs = (name: ScenarioName) => names.includes(name) && !broken.has(name);
const every = (name: ScenarioName, f: (x: Sample) => number) => (samples.get(name) ?? []).map((x) => (x ? Math.round(f(x)) : '–')).join(', ');

const absolute = [
  '| scenario | connections/s, median [IQR] | server CPU µs / conn, median [IQR] (min–max) | of which main thread | after disconnect, server CPU µs / conn | client CPU µs / conn | sigcheck µs / token | server CPU µs / conn, every round |',
  '|---|---:|---:|---:|---:|---:|---:|---|',
  ...names.map((name) => {
    if (broken.has(name)) return `| ${label(name)} | does not run | — | — | — | — | — | ${broken.get(name)} |`;
    const cpu = of(name, (x) => x.cpu)!;
    const sig = of(name, (x) => x.sig);
    return `| ${label(name)} | ${usCell(of(name, (x) => x.cps))} | ${usCell(cpu)} (${fmt(cpu.min)}–${fmt(cpu.max)}) | ${usCell(of(name, (x) => x.mainCpu))} | ${usCell(of(name, (x) => x.closeCpu))} | ${usCell(of(name, (x) => x.clientCpu))} | ${sig ? fmt(sig.median, 1) : '—'} | ${every(name, (x) => x.cpu)} |`;
  }),
].join('\n');

const pairedTable = [
  '| scenario | CPU / same wire | CPU / bare | CPU / socketio-jwt | connections/s / bare | connect + disconnect CPU / same wire | CPU / baseline checkout |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...names.filter((name) => name !== 'bare' && runs(name)).map((name) => {
    const twin = twinOf(name);
    const base = baselineOf(name);
    return `| ${label(name)} | ${twin && runs(twin) ? `${twinMark(name)}${ratioCell(paired(name, twin, cpuRatio))} (${twin})` : '—'} | ${ratioCell(paired(name, 'bare', cpuRatio))} | ${name === 'socketio-jwt-HS256' ? '—' : ratioCell(paired(name, 'socketio-jwt-HS256', cpuRatio))} | ${ratioCell(paired(name, 'bare', (x, y) => x.cps / y.cps))} | ${twin && runs(twin) ? ratioCell(paired(name, twin, (x, y) => (x.cpu + x.closeCpu) / (y.cpu + y.closeCpu))) : '—'} | ${base && runs(base) ? ratioCell(paired(name, base, cpuRatio)) : '—'} |`;
  }),
].join('\n');

const addedRows = names.filter((name) => verifies(name) && runs(name) && twinOf(name) && runs(twinOf(name)!));
const addedTable = [
  '| scenario | same wire | CPU − same wire, µs / conn | sigcheck µs / token | added beyond the signature check, µs / conn | added − HS256\'s added (same mode), µs / conn |',
  '|---|---|---:|---:|---:|---:|',
  ...addedRows.map((name) => {
    const twin = twinOf(name)!;
    const hs = name.replace(/(ES256|RS256)$/, 'HS256') as ScenarioName;
    const vsHs = hs !== name && runs(hs) ? paired(name, hs, (x, y) => (x.sig === undefined || y.sig === undefined ? undefined : x.cpu - x.sig - (y.cpu - y.sig))) : undefined;
    return `| ${label(name)} | ${twinMark(name)}${twin} | ${usCell(paired(name, twin, (x, y) => x.cpu - y.cpu), 1)} | ${usCell(of(name, (x) => x.sig), 1)} | ${usCell(paired(name, twin, added), 1)} | ${vsHs ? usCell(vsHs, 1) : '—'} |`;
  }),
].join('\n');

// ------------------------------------------------------------------ budgets

const lines: string[] = [];
const budget = (text: string) => lines.push(`- ${text}`);
const iqr = (s: Spread, digits = 3) =>
  `IQR ${d(s.q1, digits)}–${d(s.q3, digits)}; ${Math.round(s.ci.coverage * 1000) / 10} % CI of the median ${d(s.ci.lo, digits)}–${d(s.ci.hi, digits)}; ${s.n} rounds`;
/** Whether the noise lets the verdict stand: the median's confidence interval lies on one side of the line. */
const decided = (s: Spread, line: number) =>
  s.ci.lo > line || s.ci.hi < line ? 'decided at this noise' : `**not decided at this noise** (the CI spans ${line})`;
const lowerIn = (a: ScenarioName, b: ScenarioName, f: (x: Sample, y: Sample) => boolean) => {
  let k = 0;
  let n = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const x = samples.get(a)![r];
    const y = samples.get(b)![r];
    if (x && y) {
      n++;
      if (f(x, y)) k++;
    }
  }
  return `${k}/${n} rounds`;
};
for (const [name, twin, mode] of [['sockjwt-handshake-HS256', 'bare-token', 'handshake'], ['sockjwt-message-HS256', 'bare-echo', 'message']] as const) {
  const s = runs(name) && runs(twin) ? paired(name, twin, cpuRatio) : undefined;
  if (s) budget(`server CPU per connection ≤ 1.05× the same wire, ${mode} mode (HS256 / ${twin}, paired median): ${d(s.median, 3)}× (${iqr(s)}) — ${verdict(s.median <= 1.05)}, ${decided(s, 1.05)}`);
}
for (const alg of ['ES256', 'RS256'] as const) {
  const name = `sockjwt-handshake-${alg}` as const;
  const s = runs(name) && runs('bare-token') ? paired(name, 'bare-token', cpuRatio) : undefined;
  if (s) budget(`(for reference, not a 5 % budget: ${alg} handshake / bare-token, paired median ${d(s.median, 3)}×, ${iqr(s)}: the signature check alone is ${fmt(of(name, (x) => x.sig)!.median, 1)} µs)`);
}
if (runs('sockjwt-handshake-HS256') && runs('socketio-jwt-HS256')) {
  const s = paired('sockjwt-handshake-HS256', 'socketio-jwt-HS256', cpuRatio)!;
  budget(`handshake mode total server CPU per connection < socketio-jwt 4.6.2's (HS256, paired median ratio): ${d(s.median, 3)}× (${iqr(s)}; lower in ${lowerIn('sockjwt-handshake-HS256', 'socketio-jwt-HS256', (x, y) => x.cpu < y.cpu)}) — ${verdict(s.median < 1)}, ${decided(s, 1)}`);
}
if (runs('sockjwt-handshake-HS256')) {
  const s = paired('sockjwt-handshake-HS256', 'bare', (x, y) => x.cps / y.cps)!;
  budget(`handshake rate ≥ 0.95× bare (HS256, paired median of connections/s ratios): ${d(s.median, 3)}× (${iqr(s)}) — ${verdict(s.median >= 0.95)}, ${decided(s, 0.95)}`);
}
for (const alg of ['ES256', 'RS256'] as const) {
  const name = `sockjwt-handshake-${alg}` as const;
  if (!runs(name) || !runs('sockjwt-handshake-HS256') || !runs('bare-token')) continue;
  const a = paired(name, 'bare-token', added)!;
  const h = paired('sockjwt-handshake-HS256', 'bare-token', added)!;
  const diff = paired(name, 'sockjwt-handshake-HS256', (x, y) => x.cpu - x.sig! - (y.cpu - y.sig!))!;
  budget(`${alg} adds no more than HS256 beyond the signature check: ${alg} adds ${fmt(a.median, 1)} µs/conn (IQR ${fmt(a.q1, 1)}–${fmt(a.q3, 1)}), HS256 ${fmt(h.median, 1)} (IQR ${fmt(h.q1, 1)}–${fmt(h.q3, 1)}); paired per-round difference ${fmt(diff.median, 1)} µs/conn (${iqr(diff, 1)}) — ${verdict(diff.median <= 0)}, ${decided(diff, 0)}`);
}
// The same question against the signature check inside a handshake (floor-<alg>: node:crypto's check
// in a middleware on the same wire), which costs more than in sigcheck's tight loop, and more so for
// the slower algorithms: what sockjwt adds over its algorithm's floor, against what it adds in HS256.
for (const alg of ['ES256', 'RS256'] as const) {
  const name = `sockjwt-handshake-${alg}` as const;
  const floor = `floor-${alg}` as const;
  if (!runs(name) || !runs(floor) || !runs('sockjwt-handshake-HS256') || !runs('floor-HS256')) continue;
  const a = paired(name, floor, (x, y) => x.cpu - y.cpu)!;
  const h = paired('sockjwt-handshake-HS256', 'floor-HS256', (x, y) => x.cpu - y.cpu)!;
  const diff = pairedFour(name, floor, 'sockjwt-handshake-HS256', 'floor-HS256');
  budget(`${alg} adds no more than HS256 beyond the signature check inside a handshake: over floor-${alg} ${fmt(a.median, 1)} µs/conn (IQR ${fmt(a.q1, 1)}–${fmt(a.q3, 1)}), HS256 over floor-HS256 ${fmt(h.median, 1)} (IQR ${fmt(h.q1, 1)}–${fmt(h.q3, 1)}); paired per-round difference ${fmt(diff.median, 1)} µs/conn (${iqr(diff, 1)}) — ${verdict(diff.median <= 0)}, ${decided(diff, 0)}`);
}
if (runs('sockjwt-handshake-HS256') && runs('floor-fast-jwt')) {
  const s = paired('sockjwt-handshake-HS256', 'floor-fast-jwt', cpuRatio)!;
  budget(`(for reference: sockjwt handshake / fast-jwt alone in a middleware, HS256, paired median ${d(s.median, 3)}×, ${iqr(s)}: sockjwt's own share)`);
}
// The earlier targets of issue 8, on the paired rate ratios.
if (runs('sockjwt-handshake-ES256')) {
  const s = paired('sockjwt-handshake-ES256', 'bare', (x, y) => x.cps / y.cps)!;
  budget(`ES256 handshake rate ≥ 0.90× bare (paired median): ${d(s.median, 3)}× (${iqr(s)}) — ${verdict(s.median >= 0.9)}, ${decided(s, 0.9)}`);
}
for (const peer of ['thream-HS256', 'socketio-jwt-HS256'] as const) {
  if (!names.includes(peer) || !runs('sockjwt-handshake-HS256')) continue;
  if (broken.has(peer)) {
    budget(`ahead of ${label(peer)} in connections/s: it does not run — ${verdict(true)}`);
    continue;
  }
  const s = paired('sockjwt-handshake-HS256', peer, (x, y) => x.cps / y.cps)!;
  budget(`ahead of ${label(peer)} in connections/s (HS256, paired median): ${d(s.median, 2)}× its rate (${iqr(s, 2)}) — ${verdict(s.median > 1)}, ${decided(s, 1)}`);
}

const body = `## Handshake throughput and server CPU per connection (issue 8, benchmark 2)

${provenance('npm run bench:handshake', loadBefore)}
Load average (1 min) after each round: ${loads.map((x) => x.toFixed(2)).join(', ')}. Run time ${minutes.toFixed(1)} min.

One server process per scenario, all with \`new Server(http, { transports: ['websocket'] })\` and nothing else
but the auth layer; one separate client process (socket.io-client ${(await import('socket.io-client/package.json', { with: { type: 'json' } })).default.version})
opens ${fmt(COUNT)} websocket connections, ${IN_FLIGHT} in flight, each with its own token (own \`sub\` and \`jti\`, \`exp\` in 1 h,
signed before the readings start), until all are connected (message mode: until \`authenticated\`), then disconnects them all.
One warm-up round, then ${ROUNDS} rounds, scenarios interleaved with the order rotated each round. Before each scenario's
turn the client and that server run a forced GC and the server waits ${SETTLE_MS} ms, so no round pays for the last one's garbage.
Server CPU is \`process.cpuUsage()\` (all its threads, V8's GC helpers included) over the connecting phase; the disconnects are read apart;
"of which main thread" is the JavaScript thread alone (/proc schedstat).
The client process shares the 2 cores with the server, so connections/s compresses differences and moves with the load;
server CPU per connection does not depend on the client, but drifts with the machine's load too (caches, frequency, other tenants).
**Paired** ratios are steadier: per round, a scenario's value over another scenario's value in the same round,
then median [interquartile range] over the rounds. Same wire: \`bare-token\` (token in \`auth\`, unread) for handshake
presentations (≈: socketio-jwt's query string and @thream's "Bearer " prefix are nearly the same wire), \`bare-echo\`
(\`authenticate\` answered unverified) for message mode. sigcheck: node:crypto's signature check alone on fresh tokens of the
scenario's algorithm (HS256 \`createHmac\` + \`timingSafeEqual\`, ES256 \`crypto.verify\` with \`dsaEncoding: 'ieee-p1363'\`,
RS256 \`crypto.verify\`; public \`KeyObject\`s), measured in each verifying server after each of its rounds, ${fmt(SIGCHECK_COUNT)} tokens × 3, median;
in a tight loop, so with warm caches: inside a handshake the same check likely costs a little more.

${absolute}

Paired per-round ratios of server CPU per connection (and of connections/s), median [IQR]. The \`bare-token\` row against bare
is nearly a null comparison (the same server, a longer handshake): its spread is the noise floor of this run.

${pairedTable}

What each verifier adds beyond the same wire and beyond the signature check (paired per round, median [IQR]):

${addedTable}

Budgets (verdicts on the paired medians; "decided" when the median's confidence interval, from order statistics, lies on one side of the line):
${lines.join('\n')}
`;
console.log(body);
if (!values['no-write']) writeSection('handshake', body);
process.exit(0);
