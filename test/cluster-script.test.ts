// `npm run cluster`: the chat example's nodes on consecutive ports share one Redis, so a
// token from one node's /login works on another, and signing out on one drops the other.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { io as connectClient } from 'socket.io-client';
import { buildClient } from '../examples/chat/build.js';
import { privatePostgres } from './postgres-support.js';
import { SHARED_REDIS_URL, sharedRedis, uniquePrefix } from './redis-support.js';
import { redisCluster, sentinelTopology } from './redis-topologies.js';
import { connected, next, type WireError } from './support.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Two consecutive free ports (the script numbers its nodes from PORT up). */
async function consecutiveFreePorts(): Promise<number> {
  for (;;) {
    const first = createServer().listen(0, '127.0.0.1');
    await once(first, 'listening');
    const port = (first.address() as { port: number }).port;
    const second = createServer();
    // `once(second, 'listening')` would reject on EADDRINUSE instead of answering "taken".
    const free = await new Promise<boolean>((resolve) => {
      second.once('listening', () => resolve(true)).once('error', () => resolve(false));
      second.listen(port + 1, '127.0.0.1');
    });
    first.close();
    if (free) second.close();
    if (free) return port;
  }
}

test('npm run cluster: nodes on consecutive ports share logins, presence and revocations', { timeout: 60_000 }, async (t) => {
  const prefix = uniquePrefix();
  await sharedRedis(t, prefix);
  await runCluster(t, { REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix }, /Cluster mode: Redis at redis:\/\/127\.0\.0\.1:6379/);
});

test('npm run cluster on a Redis Cluster (REDIS_CLUSTER_NODES)', { timeout: 60_000 }, async (t) => {
  const cluster = await redisCluster(t);
  await runCluster(t, { REDIS_CLUSTER_NODES: cluster.urls[0]!, REDIS_KEY_PREFIX: uniquePrefix() }, /Cluster mode: the Redis Cluster at redis:\/\/127\.0\.0\.1:\d+/);
});

test('npm run cluster on Sentinel (REDIS_SENTINELS)', { timeout: 60_000 }, async (t) => {
  const sentinel = await sentinelTopology(t);
  const sentinels = sentinel.sentinels.map((s) => `127.0.0.1:${s.port}`).join(',');
  await runCluster(t, { REDIS_SENTINELS: sentinels, REDIS_SENTINEL_NAME: sentinel.name, REDIS_KEY_PREFIX: uniquePrefix() }, /Cluster mode: the master "sockjwt" of the sentinels/);
});

test('npm run cluster on PostgreSQL (DATABASE_URL)', { timeout: 60_000 }, async (t) => {
  const server = await privatePostgres(t);
  await runCluster(t, { DATABASE_URL: server.url }, /Cluster mode: PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres/);
});

async function runCluster(t: TestContext, redisEnv: Record<string, string>, banner: RegExp): Promise<void> {
  await buildClient(); // the script runs with --no-build: npm test has built the library, not the page
  const port = await consecutiveFreePorts();
  const script = spawn(process.execPath, ['scripts/cluster.mjs', '--no-build'], {
    cwd: root,
    env: { ...process.env, REDIS_URL: '', REDIS_CLUSTER_NODES: '', REDIS_SENTINELS: '', DATABASE_URL: '', CLUSTER_NODES: '2', PORT: String(port), ...redisEnv, JWT_SECRET: 'a-cluster-secret-that-is-long-enough-for-hs256' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(script, 'exit');
  t.after(async () => {
    if (script.exitCode === null && script.signalCode === null) script.kill('SIGKILL');
    await exited;
  });
  let output = '';
  const running = new Promise<void>((resolve) => {
    script.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if ((output.match(/chat example running at/g) ?? []).length === 2) resolve();
    });
  });
  await Promise.race([running, exited.then(() => assert.fail(`the cluster exited early:\n${output}`))]);
  assert.match(output, banner);

  const [first, second] = [`http://127.0.0.1:${port}`, `http://127.0.0.1:${port + 1}`];
  const login = await fetch(`${first}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bob', password: 'builder' }) });
  assert.equal(login.status, 200);
  const { token } = (await login.json()) as { token: string };
  const options = { forceNew: true, reconnection: false, transports: ['websocket'], auth: { token } };
  const onFirst = connectClient(first, options);
  const onSecond = connectClient(second, options);
  t.after(() => {
    onFirst.disconnect();
    onSecond.disconnect();
  });
  await Promise.all([connected(onFirst, 10_000), connected(onSecond, 10_000)]);

  const told = next<[WireError]>(onSecond, 'unauthorized', 5000);
  await onFirst.timeout(5000).emitWithAck('signout-everywhere');
  assert.equal((await told)[0].data.reason, 'revoked', 'signing out on the first node drops the socket on the second');

  script.kill('SIGTERM');
  assert.deepEqual(await exited, [0, null], 'Ctrl-C stops every node and exits cleanly');
}
