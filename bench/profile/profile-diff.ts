// Profiling aid: where one scenario's server spends more CPU than another's, function by
// function. Both servers run under `node --cpu-prof` at the same time and take the same
// rounds of connections, alternating (A B, B A, A B, …), each round after a forced GC; only
// the samples inside the measured rounds count (connect and disconnect phases: everything the
// process did then, not only what ran under the auth layer), startup and warm-up do not.
//
// Self time per function (functionName + file:line; src/ and bench/ lines mapped back to the
// .ts through tsx's source maps; node_modules paths shortened; node internals and natives
// such as `(garbage collector)`, `(program)`, `writev` are rows of their own) is scaled so that
// the profile's non-idle time equals the main thread's CPU time in the rounds (from
// /proc/self/task/<pid>/schedstat; sample durations are wall time, which a busy machine
// stretches), then divided by the connections. Whatever the process's other threads did (GC
// helpers, libuv pool, tsx's loader thread) is the `(other threads)` package row; V8's
// profiler threads are left out (and shown apart). Our .ts runs through tsx, whose esbuild
// `keepNames` helper `__name` (called for each named closure created) has a row of its own:
// the built package does not pay it.
//
//   node --import tsx bench/profile/profile-diff.ts <scenarioA> <scenarioB> [rounds=4] [count=2000]
//     [--top 15] [--interval 250] [--in-flight 200]
//
// Prints markdown: per-package and top-N per-function tables of A − B (µs / connection).
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fmt, load } from '../lib/report.js';
import { closeSockets, openSockets, prepareTokens, startHarness } from '../socket/harness.js';
import { SCENARIOS, type ScenarioName } from '../socket/scenarios.js';
import type { Child } from '../lib/child.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: 'string', default: '15' },
    interval: { type: 'string', default: '250' },
    'in-flight': { type: 'string', default: '200' },
    settle: { type: 'string', default: '100' },
  },
});
const [A, B] = positionals as [ScenarioName, ScenarioName];
if (!A || !B || !SCENARIOS[A] || !SCENARIOS[B]) {
  throw new Error(`usage: profile-diff.ts <scenarioA> <scenarioB> [rounds] [count]; scenarios: ${Object.keys(SCENARIOS).join(', ')}`);
}
const ROUNDS = Number(positionals[2] ?? 4);
const COUNT = Number(positionals[3] ?? 2000);
const TOP = Number(values.top);
const INTERVAL = Number(values.interval);
const IN_FLIGHT = Number(values['in-flight']);
const SETTLE_MS = Number(values.settle);
const builtMaps = new Map<string, SourceMap | undefined>();
const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const BASELINE = process.env['BENCH_BASELINE_SRC'] ? dirname(process.env['BENCH_BASELINE_SRC']) : undefined;
const loadBefore = load();

// ------------------------------------------------------------------ run

interface Threads { main: number; profiler: number; other: number }
interface Mark { hrtimeUs: number; cpuUs: number; threads?: Threads }
interface Side {
  name: ScenarioName;
  dir: string;
  server: Child;
  windows: Array<[number, number]>;
  /** process.cpuUsage() over the rounds, µs. */
  cpuUs: number;
  /** Per kind of thread over the rounds, µs; undefined without /proc schedstat. */
  threadsUs: Threads | undefined;
  maps: Record<string, SourceMapPayload>;
}

const harness = await startHarness();
const sides: Side[] = [];
for (const [i, name] of [A, B].entries()) {
  const dir = mkdtempSync(join(tmpdir(), `sockjwt-prof-${i ? 'b' : 'a'}-`));
  const server = await harness.startServer(name, ['--expose-gc', '--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${INTERVAL}`]);
  sides.push({ name, dir, server, windows: [], cpuUs: 0, threadsUs: { main: 0, profiler: 0, other: 0 }, maps: {} });
}

async function round(side: Side, count: number, measured: boolean): Promise<void> {
  const { client } = harness;
  await prepareTokens(client, side.name, count);
  await client.call('gc');
  await side.server.call('gc', { settleMs: SETTLE_MS });
  const m0 = await side.server.call<Mark>('mark');
  const result = await openSockets(client, side.server, side.name, count, IN_FLIGHT);
  await closeSockets(client, side.server);
  const m1 = await side.server.call<Mark>('mark');
  if (result.failed > 0) throw new Error(`${side.name}: ${result.failed}/${count} failed: ${JSON.stringify(result.errors)}`);
  if (!measured) return;
  side.windows.push([m0.hrtimeUs, m1.hrtimeUs]);
  side.cpuUs += m1.cpuUs - m0.cpuUs;
  const [t0, t1, sum] = [m0.threads, m1.threads, side.threadsUs];
  side.threadsUs = t0 && t1 && sum
    ? { main: sum.main + (t1.main - t0.main) / 1000, profiler: sum.profiler + (t1.profiler - t0.profiler) / 1000, other: sum.other + (t1.other - t0.other) / 1000 }
    : undefined;
}

for (const side of sides) await round(side, Math.min(500, COUNT), false);
for (let r = 0; r < ROUNDS; r++) {
  for (const side of r % 2 ? [...sides].reverse() : sides) await round(side, COUNT, true);
  process.stderr.write(`round ${r + 1}/${ROUNDS} done (load ${load()})\n`);
}
for (const side of sides) side.maps = await side.server.call('sourcemaps', { dirs: [join(ROOT, 'src'), join(ROOT, 'bench'), ...(BASELINE ? [BASELINE] : [])] });
await harness.stop();

// ------------------------------------------------------------------ analyse

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame }
interface Profile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }
interface Summary {
  byFunction: Map<string, number>;
  byPackage: Map<string, number>;
  /** µs / connection, as scaled. */
  total: number;
  cpuPerConn: number;
  mainPerConn: number | undefined;
  profilerPerConn: number | undefined;
  sampledPerConn: number;
  idlePerConn: number;
  samples: number;
}

function locate(frame: CallFrame, maps: Map<string, SourceMap>): { where: string; pkg: string } {
  const { url, functionName, lineNumber, columnNumber } = frame;
  if (url === '') {
    if (functionName === '(garbage collector)') return { where: '', pkg: 'GC (main thread)' };
    if (functionName === '(program)') return { where: '', pkg: '(program)' };
    return { where: '(native)', pkg: 'native (bindings, builtins)' };
  }
  if (url.startsWith('node:')) return { where: `${url}:${lineNumber + 1}`, pkg: 'node core' };
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + 'node_modules/'.length);
    const pkg = rest.match(/^(@[^/]+\/)?[^/]+/)![0];
    return { where: `${rest}:${lineNumber + 1}`, pkg };
  }
  // Our TypeScript, through tsx, or a built package with its .map beside it: back to the .ts line.
  const map = maps.get(url) ?? builtMap(path);
  const entry = map?.findEntry(lineNumber, columnNumber) as { originalLine?: number; originalSource?: string } | undefined;
  const line = entry?.originalLine !== undefined ? `${entry.originalLine + 1}` : `${lineNumber + 1} (generated)`;
  // esbuild's keepNames helper, which tsx puts at the top of every module and calls for each named function
  // or class it creates (closures too): a cost of running the .ts through tsx that the built package does not have.
  if (functionName === '__name' && entry?.originalLine === undefined) return { where: `${relative(ROOT, path)} (tsx)`, pkg: 'tsx keepNames helper (not in dist)' };
  if (BASELINE && path.startsWith(`${BASELINE}/`)) return { where: `baseline:${relative(dirname(BASELINE), path)}:${line}`, pkg: 'baseline src' };
  if (path.startsWith(`${ROOT}/src/`)) return { where: `${relative(ROOT, path)}:${line}`, pkg: 'sockjwt src' };
  if (path.startsWith(`${ROOT}/dist/`)) return { where: `${originalFile(path, entry) ?? relative(ROOT, path)}:${line}`, pkg: 'sockjwt (built)' };
  if (path.startsWith(`${ROOT}/bench/`)) return { where: `${relative(ROOT, path)}:${line}`, pkg: 'bench harness' };
  return { where: `${path}:${line}`, pkg: 'other' };
}

function summarise(side: Side): Summary {
  // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile: the main thread is thread 0 (tsx's loader thread has its own).
  const files = readdirSync(side.dir).filter((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f));
  if (files.length !== 1) throw new Error(`${side.dir}: expected one main-thread .cpuprofile, found ${files.length}`);
  const profile = JSON.parse(readFileSync(join(side.dir, files[0]!), 'utf8')) as Profile;
  const maps = new Map(Object.entries(side.maps).map(([url, payload]) => [url, new SourceMap(payload)]));
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const self = new Map<number, number>();
  let t = profile.startTime;
  let count = 0;
  const inWindow = (time: number) => side.windows.some(([from, to]) => time >= from && time <= to);
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one (as Chrome DevTools counts it).
    const span = profile.timeDeltas[i + 1] ?? 0;
    if (!inWindow(t)) continue;
    count++;
    self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + span);
  }
  const connections = side.windows.length * COUNT;
  let idle = 0;
  let sampled = 0;
  const rawFunction = new Map<string, number>();
  const rawPackage = new Map<string, number>();
  for (const [id, us] of self) {
    const frame = frames.get(id)!;
    if (frame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    if (frame.functionName === '(root)') continue;
    sampled += us;
    const { where, pkg } = locate(frame, maps);
    const key = `${frame.functionName || '(anonymous)'}\t${where}`;
    rawFunction.set(key, (rawFunction.get(key) ?? 0) + us);
    rawPackage.set(pkg, (rawPackage.get(pkg) ?? 0) + us);
  }
  // Scale the sampled (wall) time to the main thread's CPU time, per connection.
  const threads = side.threadsUs;
  const scale = (threads ? threads.main / sampled : 1) / connections;
  const byFunction = new Map([...rawFunction].map(([k, us]) => [k, us * scale]));
  const byPackage = new Map([...rawPackage].map(([k, us]) => [k, us * scale]));
  if (threads) byPackage.set('(other threads: V8 workers / GC helpers, libuv, loader)', threads.other / connections);
  return {
    byFunction,
    byPackage,
    total: [...byPackage.values()].reduce((a, b) => a + b, 0),
    cpuPerConn: side.cpuUs / connections,
    mainPerConn: threads ? threads.main / connections : undefined,
    profilerPerConn: threads ? threads.profiler / connections : undefined,
    sampledPerConn: sampled / connections,
    idlePerConn: idle / connections,
    samples: count,
  };
}

const [a, b] = sides.map(summarise) as [Summary, Summary];

// ------------------------------------------------------------------ print

const n1 = (x: number) => (Math.abs(x) < 0.05 ? '0.0' : x.toFixed(1));
const signed = (x: number) => (x > 0 ? `+${n1(x)}` : n1(x));
const esc = (s: string) => s.replace(/\|/g, '\\|');
const diffRows = (ma: Map<string, number>, mb: Map<string, number>) =>
  [...new Set([...ma.keys(), ...mb.keys()])].map((key) => ({ key, a: ma.get(key) ?? 0, b: mb.get(key) ?? 0 })).map((r) => ({ ...r, d: r.a - r.b }));

const packages = diffRows(a.byPackage, b.byPackage).sort((x, y) => y.d - x.d);
const functions = diffRows(a.byFunction, b.byFunction).sort((x, y) => y.d - x.d);
const fnRow = (r: { key: string; a: number; b: number; d: number }) => {
  const [fn, where] = r.key.split('\t') as [string, string];
  return `| \`${esc(fn)}\` | ${where ? `\`${esc(where)}\`` : '—'} | ${n1(r.a)} | ${n1(r.b)} | ${signed(r.d)} |`;
};
const positive = functions.filter((r) => r.d > 0);
const shown = positive.slice(0, TOP);
const restPositive = positive.slice(TOP).reduce((s, r) => s + r.d, 0);
const negative = [...functions].filter((r) => r.d < 0).sort((x, y) => x.d - y.d).slice(0, 5);
const mainCell = (s: Summary) => (s.mainPerConn === undefined ? 'n/a (no schedstat; sample time unscaled)' : n1(s.mainPerConn));

console.log(`## CPU profile diff: \`${A}\` − \`${B}\`

Command: \`node --import tsx bench/profile/profile-diff.ts ${A} ${B} ${ROUNDS} ${COUNT}\` (--top ${TOP}, --cpu-prof-interval ${INTERVAL} µs).
Node ${process.version}, ${new Date().toISOString()}. Load average (1, 5, 15 min) at start: ${loadBefore}; at end: ${load()}.
Each server: ${ROUNDS} measured rounds × ${fmt(COUNT)} connections (${IN_FLIGHT} in flight), alternating with the other server,
each round after a forced GC; one unmeasured warm-up round first. Profiles: ${sides.map((s) => s.dir).join(', ')}.

| | ${A} | ${B} | A − B |
|---|---:|---:|---:|
| process CPU µs / conn (cpuUsage, all threads) | ${n1(a.cpuPerConn)} | ${n1(b.cpuPerConn)} | ${signed(a.cpuPerConn - b.cpuPerConn)} |
| main thread CPU µs / conn (schedstat) | ${mainCell(a)} | ${mainCell(b)} | ${a.mainPerConn !== undefined && b.mainPerConn !== undefined ? signed(a.mainPerConn - b.mainPerConn) : '—'} |
| profiler threads CPU µs / conn (not counted below) | ${a.profilerPerConn === undefined ? '—' : n1(a.profilerPerConn)} | ${b.profilerPerConn === undefined ? '—' : n1(b.profilerPerConn)} | |
| sampled non-idle wall µs / conn (profile) | ${n1(a.sampledPerConn)} | ${n1(b.sampledPerConn)} | ${signed(a.sampledPerConn - b.sampledPerConn)} |
| idle µs / conn (profile, not counted) | ${n1(a.idlePerConn)} | ${n1(b.idlePerConn)} | |
| samples in the rounds | ${fmt(a.samples)} | ${fmt(b.samples)} | |

Self time, µs per connection, scaled to main thread CPU; plus the other threads' CPU as one row, so a column sums to the
process CPU per connection without the profiler's own threads. The profiler also slows the main thread (its signal handler
runs there): read differences, not absolute values against bench:handshake.

### Per package

| package | ${A} | ${B} | A − B |
|---|---:|---:|---:|
${packages.map((r) => `| ${esc(r.key)} | ${n1(r.a)} | ${n1(r.b)} | ${signed(r.d)} |`).join('\n')}
| **total** | ${n1(a.total)} | ${n1(b.total)} | ${signed(a.total - b.total)} |

### Top ${TOP} functions, A − B (self time)

| function | where | ${A} | ${B} | A − B |
|---|---|---:|---:|---:|
${shown.map(fnRow).join('\n')}
| (the other ${positive.length - shown.length} functions with A > B) | | | | ${signed(restPositive)} |

Largest B − A (where A spends less):

| function | where | ${A} | ${B} | A − B |
|---|---|---:|---:|---:|
${negative.map(fnRow).join('\n')}
`);
process.exit(0);


/** A built file's source map (tsup writes `index.js.map` beside `index.js`), read once. */
function builtMap(path: string): SourceMap | undefined {
  if (!builtMaps.has(path)) {
    const file = `${path}.map`;
    builtMaps.set(path, existsSync(file) ? new SourceMap(JSON.parse(readFileSync(file, 'utf8')) as SourceMapPayload) : undefined);
  }
  return builtMaps.get(path);
}

/** The .ts file a built position comes from, relative to the checkout. */
function originalFile(path: string, entry: { originalSource?: string } | undefined): string | undefined {
  const source = entry?.originalSource;
  if (!source) return undefined;
  const absolute = source.startsWith('file://') ? fileURLToPath(source) : join(dirname(path), source);
  return relative(ROOT, absolute);
}
