// sockjwt/postgres declares `pg` ^8.9.0 (what @socket.io/postgres-adapter 0.5 requires). The main run
// uses the newest 8.x; this runs the store's tests and the fault test again on the lowest, 8.9
// (npm alias `pg-8.9`, swapped in by test/pg-version-hook.mjs).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** A child test run of its own: without NODE_TEST_CONTEXT, which would make it report to this run instead of running. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SOCKJWT_TEST_PG: 'pg-8.9' };
  delete env['NODE_TEST_CONTEXT'];
  return env;
}

test('pg 8.9, the lowest declared: the store and the fault tests pass', { timeout: 120_000 }, async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', './test/pg-version-hook.mjs', '--test', '--test-concurrency=1', '--test-reporter=tap', 'test/postgres-store.test.ts', 'test/postgres-faults.test.ts'], {
    cwd: root,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, output.slice(-4000));
  assert.match(output, /# fail 0\n# cancelled 0\n# skipped 0\n/, 'every test ran, none skipped');
  assert.match(output, /# pass [1-9]\d*\n/);
});

test('the hook does load pg 8.9', async () => {
  const child = spawn(process.execPath, ['--import', './test/pg-version-hook.mjs', '--input-type=module', '-e', "import pg from 'pg'; import { readFileSync } from 'node:fs'; import { createRequire } from 'node:module'; const p = createRequire(import.meta.url).resolve('pg-8.9'); console.log(new pg.Client().connectionParameters !== undefined, JSON.parse(readFileSync(p.replace(/lib[/]index[.]js$/, 'package.json'), 'utf8')).version)"], { cwd: root, env: childEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  await once(child, 'exit');
  assert.match(output, /true 8\.9\.0/);
});
