#!/usr/bin/env node
// npm test: every test file of the project, several at a time.
//
// Most files spend their time waiting (timers, tokens expiring, child processes,
// Redis and Python round trips), so several run at once even on 2 cores. Each file is
// its own `node --test` process, as with `node --test` itself; its output is printed
// whole when it ends, so a failure reads in one piece. Files start longest first, from
// the durations recorded in test/durations.json, so that the slowest one does not start
// last and hold the run alone; a file not recorded yet starts first.
//
//   node scripts/test.mjs [--record] [--concurrency N] [path ...]
//
//   --record        rewrite test/durations.json from this run
//   --concurrency   files at a time (default SOCKJWT_TEST_CONCURRENCY, or 3 per core)
//   path ...        run only these files, or the test files under these folders
//                   (default: every test file, the version matrix included)
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const durationsFile = join(root, 'test', 'durations.json');
const TEST_TIMEOUT_MS = 120_000;
/** Files whose one test is long by design: the version matrices run the core files once per socket.io minor, and the Nest tests on Nest 11 (installed on first use). */
const LONG_TESTS_MS = { 'test/version-matrix.test.ts': 15 * 60_000, 'test/nest-matrix.test.ts': 10 * 60_000 };
/** A file still running after this is killed and counted as failed: a hang, not a slow test. */
const FILE_TIMEOUT_MS = 16 * 60_000;
const COUNTS = ['tests', 'pass', 'fail', 'cancelled', 'skipped', 'todo'];

function parseArgs(argv) {
  const args = { record: false, concurrency: Number(process.env.SOCKJWT_TEST_CONCURRENCY) || 3 * availableParallelism(), paths: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--record') args.record = true;
    else if (argv[i] === '--concurrency') args.concurrency = Number(argv[++i]);
    else args.paths.push(argv[i]);
  }
  if (!Number.isInteger(args.concurrency) || args.concurrency < 1) throw new Error('--concurrency takes a whole number of files, 1 or more');
  return args;
}

/** Every `*.test.ts` under a folder of the project, as a path from the root. */
function testFilesUnder(dir) {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFilesUnder(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

function recordedDurations() {
  try {
    return JSON.parse(readFileSync(durationsFile, 'utf8'));
  } catch {
    return {};
  }
}

/** Longest first; a file not recorded counts as the longest, so a new slow file cannot start last. */
function longestFirst(files, durations) {
  const weight = (file) => durations[file] ?? Number.MAX_SAFE_INTEGER;
  return [...files].sort((a, b) => weight(b) - weight(a) || a.localeCompare(b));
}

/** Runs one file in its own `node --test`; resolves with its exit status, output and wall time. */
function runFile(file) {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-timeout=${LONG_TESTS_MS[file] ?? TEST_TIMEOUT_MS}`, file], { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const hang = setTimeout(() => child.kill('SIGKILL'), FILE_TIMEOUT_MS);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(hang);
      resolve({ file, ok: code === 0, why: signal ? `killed (${signal}) after ${FILE_TIMEOUT_MS / 60_000} min` : `exit ${code}`, output, ms: performance.now() - started });
    });
  });
}

/** The `ℹ tests N` … lines node's spec reporter ends a file with. */
function countsOf(output) {
  return Object.fromEntries(COUNTS.map((name) => [name, Number(new RegExp(`^ℹ ${name} (\\d+)$`, 'm').exec(output)?.[1] ?? 0)]));
}

async function runAll(files, concurrency) {
  const queue = [...files];
  const results = [];
  const worker = async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const result = await runFile(file);
      process.stdout.write(`\n━━ ${result.ok ? 'ok' : 'FAILED'}  ${file}  (${(result.ms / 1000).toFixed(1)} s)\n${result.output}`);
      results.push(result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  return results;
}

const args = parseArgs(process.argv.slice(2));
const chosen = args.paths.length ? args.paths.flatMap((path) => (statSync(join(root, path)).isDirectory() ? testFilesUnder(path) : [path])) : testFilesUnder('test');
const files = longestFirst(chosen, recordedDurations());
const wallStart = performance.now();
const results = await runAll(files, args.concurrency);

const totals = Object.fromEntries(COUNTS.map((name) => [name, 0]));
for (const result of results) for (const [name, n] of Object.entries(countsOf(result.output))) totals[name] += n;
const slowest = [...results].sort((a, b) => b.ms - a.ms).slice(0, 10);
console.log(`\n${files.length} files, ${args.concurrency} at a time, ${((performance.now() - wallStart) / 1000).toFixed(0)} s; the ten slowest:`);
for (const { file, ms } of slowest) console.log(`  ${(ms / 1000).toFixed(1).padStart(6)} s  ${file}`);
console.log(COUNTS.map((name) => `${name} ${totals[name]}`).join(' · '));
const failed = results.filter((result) => !result.ok);
if (failed.length) {
  console.log(`FAILED: ${failed.map(({ file, why }) => `${file} (${why})`).join(', ')}`);
  process.exitCode = 1;
}
if (args.record) writeFileSync(durationsFile, `${JSON.stringify(Object.fromEntries(results.map(({ file, ms }) => [relative('.', file), Math.round(ms)]).sort()), null, 2)}\n`);
