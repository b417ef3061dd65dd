// Benchmark (issue 26): sockjwt/postgres, on a PostgreSQL of the benchmark's own (initdb, free port).
//  1. revoke → disconnect: 3, then 10 node processes (test/cluster/postgres-node.ts: socket.io +
//     @socket.io/postgres-adapter + PostgresCluster, handshake mode), one client process. Every
//     trial user has one socket on each node; a trial revokes the user (`revoke({ sub })`) on one
//     node (rotating) and times until each socket sees its disconnect. p50/p99 of the sockets on
//     the other nodes, and of the last one per trial.
//  2. check latency under load: one PostgresRevocationStore (pool of 10) on a table of 10,000 rules,
//     `isRevoked()` started at a fixed rate (open loop: a slow answer does not slow the next start),
//     half the tokens covered; p50/p99/max of each check at each rate.
//
//   node --import tsx bench/postgres-cluster.ts [--trials 100] [--no-write]
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { io as connectClient, type Socket } from 'socket.io-client';
import { PostgresRevocationStore } from '../src/postgres/index.js';
import { startNode, untilMeshed, type Cleanup, type ClusterNode } from '../test/cluster/nodes.js';
import { privatePostgres, type PostgresProcess } from '../test/postgres-support.js';
import { connected, next, nowSeconds, sign } from '../test/support.js';
import { fmt, load, percentile, provenance, writeSection } from './lib/report.js';

const { values } = parseArgs({ options: { trials: { type: 'string', default: '100' }, 'no-write': { type: 'boolean', default: false } } });
const TRIALS = Number(values.trials);
const RATES = [1000, 2000, 4000];
const CHECK_SECONDS = 3;
const loadBefore = load();

const fns: Array<() => unknown> = [];
const cleanup: Cleanup = { after: ((fn: () => unknown) => void fns.push(fn)) as Cleanup['after'] };
const now = () => performance.timeOrigin + performance.now();
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

async function revokeToDisconnect(server: PostgresProcess, size: number) {
  const prefix = `bench_${randomUUID().replaceAll('-', '')}`;
  const nodes: ClusterNode[] = await Promise.all(Array.from({ length: size }, () => startNode(cleanup, { databaseUrl: server.url, prefix })));
  await untilMeshed(nodes, 30_000);
  const users = Array.from({ length: TRIALS }, (_, i) => `user-${i}-${randomUUID()}`);
  const rows: Socket[][] = [];
  for (const sub of users) {
    const row = nodes.map((node) => connectClient(node.url, { forceNew: true, reconnection: false, transports: ['websocket'], auth: { token: sign({ sub, iat: nowSeconds() - 1 }) } }));
    await Promise.all(row.map((socket) => connected(socket, 10_000)));
    rows.push(row);
  }
  const remote: number[] = [];
  const last: number[] = [];
  for (const [trial, sub] of users.entries()) {
    const revoker = trial % size;
    const drops = rows[trial]!.map(async (socket) => {
      await next(socket, 'disconnect', 10_000);
      return now();
    });
    const { startedAt } = await nodes[revoker]!.call<{ startedAt: number }>('revoke', { rule: { sub } });
    const at = await Promise.all(drops);
    const others = at.filter((_, index) => index !== revoker).map((t) => t - startedAt);
    remote.push(...others);
    last.push(Math.max(...others));
  }
  await Promise.all(nodes.map((node) => node.call('close').catch(() => {})));
  return { size, remote: sorted(remote), last: sorted(last) };
}

async function checksUnderLoad(server: PostgresProcess) {
  const pool = new pg.Pool({ connectionString: server.url, max: 10 });
  pool.on('error', () => {});
  const tableName = `bench_${randomUUID().replaceAll('-', '')}`;
  const store = new PostgresRevocationStore({ pool, tableName });
  await store.listening;
  const revoked = Array.from({ length: 10_000 }, (_, i) => `revoked-${i}`);
  for (let i = 0; i < revoked.length; i += 500) await Promise.all(revoked.slice(i, i + 500).map((sub) => store.add({ sub, issuedBefore: Date.now(), expiresAt: Date.now() + 3_600_000 })));
  const results: { rate: number; latencies: number[]; failed: number; achieved: number }[] = [];
  for (const rate of RATES) {
    const latencies: number[] = [];
    let failed = 0;
    const total = rate * CHECK_SECONDS;
    const started = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      const sub = i % 2 === 0 ? revoked[i % revoked.length]! : `live-${i}`;
      const t0 = performance.now();
      pending.push(store.isRevoked({ sub, jti: randomUUID(), iat: nowSeconds() - 60 }).then(
        () => void latencies.push(performance.now() - t0),
        () => void failed++,
      ));
    }
    await Promise.all(pending);
    results.push({ rate, latencies: sorted(latencies), failed, achieved: total / ((performance.now() - started) / 1000) });
  }
  await store.close();
  await pool.end();
  return results;
}

const server = await privatePostgres(cleanup);
const clusters = [];
for (const size of [3, 10]) clusters.push(await revokeToDisconnect(server, size));
const checks = await checksUnderLoad(server);
for (const fn of fns.reverse()) await fn();

const ms = (x: number) => fmt(x, 1);
const body = `## PostgreSQL: revoke → remote disconnect, and checks under load (issue 26)

${provenance('npm run bench:postgres', loadBefore)}

PostgreSQL ${'15'} of the benchmark's own (initdb, \`fsync=off\`, local socket over TCP 127.0.0.1) on the same 2-core machine as
every node and the client process. Node processes: test/cluster/postgres-node.ts (\`PostgresCluster\`: \`@socket.io/postgres-adapter\`,
pool of 10, one LISTEN connection for revocations). ${fmt(TRIALS)} users per cluster size, one socket per node each; each trial revokes
one user on one node (rotating) and times from the call until each socket's \`disconnect\` in the client process.

| nodes | remote sockets (n) | p50 (ms) | p99 (ms) | max (ms) | last socket per trial p50 (ms) | p99 (ms) |
|---:|---:|---:|---:|---:|---:|---:|
${clusters.map((c) => `| ${c.size} | ${c.remote.length} | ${ms(percentile(c.remote, 50))} | ${ms(percentile(c.remote, 99))} | ${ms(c.remote.at(-1)!)} | ${ms(percentile(c.last, 50))} | ${ms(percentile(c.last, 99))} |`).join('\n')}

Checks: one \`PostgresRevocationStore\` (pool of 10) on a table of 10,000 subject rules; \`isRevoked({ sub, jti, iat })\` started at a fixed
rate for ${CHECK_SECONDS} s (open loop), half the subjects revoked. Each check is one indexed \`SELECT\` (two digests, \`= ANY\`).

| target checks/s | achieved/s | n | p50 (ms) | p99 (ms) | max (ms) | failed |
|---:|---:|---:|---:|---:|---:|---:|
${checks.map((c) => `| ${fmt(c.rate)} | ${fmt(c.achieved)} | ${fmt(c.latencies.length)} | ${ms(percentile(c.latencies, 50))} | ${ms(percentile(c.latencies, 99))} | ${ms(c.latencies.at(-1)!)} | ${c.failed} |`).join('\n')}
`;
console.log(body);
if (!values['no-write']) writeSection('postgres', body);
process.exit(0);
