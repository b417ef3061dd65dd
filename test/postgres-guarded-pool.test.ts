// The pool as @socket.io/postgres-adapter gets it (src/postgres/guarded-pool.ts): a connection
// it holds that dies is reported, not thrown, and handed back to be discarded, so that outages
// do not use the pool up. Real PostgreSQL of the test's own; the backend ended by the server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { guardedPool } from '../src/postgres/guarded-pool.js';
import { privatePostgres } from './postgres-support.js';

test('a held connection that dies is reported and discarded: three outages on a pool of two leave it whole', { timeout: 30_000 }, async (t) => {
  const server = await privatePostgres(t);
  const pool = new pg.Pool({ connectionString: server.url, max: 2, connectionTimeoutMillis: 2000 });
  pool.on('error', () => {});
  t.after(() => pool.end());
  const reported: unknown[] = [];
  const guarded = guardedPool(pool, (error) => reported.push(error)).pool;
  for (let outage = 0; outage < 3; outage++) {
    // Held as the adapter holds its LISTEN connection: checked out, never released.
    const held = await guarded.connect();
    const ended = new Promise((resolve) => held.once('end', resolve)); // not events.once: it rejects on the 'error' that comes first
    const [{ pid }] = (await held.query('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
    await server.query('SELECT pg_terminate_backend($1)', [pid]);
    await ended;
  }
  assert.ok(reported.length >= 3, `each death reported through the guard, none thrown (${reported.length} reports)`);
  assert.equal(pool.totalCount, 0, 'the dead connections left the pool');
  const [a, b] = await Promise.all([guarded.connect(), guarded.connect()]);
  a.release();
  b.release();
  assert.equal((await guarded.query('SELECT 1 AS one')).rows[0].one, 1, 'queries go through the view');
});

test('a PostgresCluster closed while the adapter is still opening its connection lets the process exit', { timeout: 60_000 }, async (t) => {
  const server = await privatePostgres(t);
  // The adapter starts checking out its LISTEN connection in the constructor; the server closes
  // before that completes, so the adapter's close() has nothing to release yet.
  const script = [
    "import { Server } from 'socket.io';",
    "import { PostgresCluster } from './src/postgres/index.ts';",
    'const io = new Server(0);',
    "const cluster = new PostgresCluster(io, { connectionString: process.env.DATABASE_URL, logger: { warn() {}, info() {} } });",
    'await io.close();',
    'await cluster.ready;',
    'await cluster.close();',
    "console.log('closed');",
  ].join('\n');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), env: { ...process.env, DATABASE_URL: server.url }, stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  // Decided by order: the process either exits by itself, or is still there 20 s after it said 'closed'.
  const exited = once(child, 'exit').then(() => 'exited');
  const closed = new Promise<void>((resolve) => child.stdout!.on('data', () => output.includes('closed') && resolve()));
  await Promise.race([closed, exited]);
  assert.match(output, /closed/);
  const verdict = await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000, 'still running: a connection or a timer holds the process'))]);
  assert.equal(verdict, 'exited');
});
