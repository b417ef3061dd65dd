// Benchmark 6 (issue 16): ten node processes, on one Redis and on a 3-master Redis Cluster.
//
// Each topology: 10 processes of test/cluster/node.ts (socket.io + sockjwt/redis, handshake
// mode; classic adapter on one Redis, sharded adapter on the cluster), one client process.
//  1. revoke → disconnect: every trial user has one socket on each of the 10 nodes; a trial
//     revokes the user (`revoke({ sub })`) on one node (rotating) and times until each of the
//     10 sockets sees its disconnect. p50/p99 of every socket, and of the last one per trial.
//  2. fetchSockets(): from each node in turn, the claims of every socket on all 10 nodes.
//  3. a node killed mid-revocation: a batch of revocations runs from one node while another
//     (holding sockets of every revoked user) is SIGKILLed; then every socket of the batch on
//     the 9 others must be gone and every revoked token refused by every survivor. Then the
//     revoking node itself is killed mid-batch: what it acknowledged must hold everywhere.
//
//   node --import tsx bench/cluster-scale.ts [--trials 100] [--no-write]
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { io as connectClient, type Socket } from 'socket.io-client';
import { startNode, untilMeshed, type Cleanup, type ClusterNode, type NodeOptions } from '../test/cluster/nodes.js';
import { plainRedis, redisCluster } from '../test/redis-topologies.js';
import { connected, next, nowSeconds, refusal, sign } from '../test/support.js';
import { fmt, load, percentile, provenance, verdict, writeSection } from './lib/report.js';

const { values } = parseArgs({ options: { trials: { type: 'string', default: '100' }, nodes: { type: 'string', default: '10' }, 'no-write': { type: 'boolean', default: false } } });
const TRIALS = Number(values.trials);
const NODES = Number(values.nodes);
const BATCH = 40;
const loadBefore = load();

interface Cleanups extends Cleanup {
  run(): Promise<void>;
}
function cleanups(): Cleanups {
  const fns: Array<() => unknown> = [];
  return {
    after: ((fn: () => unknown) => void fns.push(fn)) as Cleanup['after'],
    async run() {
      for (const fn of fns.reverse()) await fn();
    },
  };
}

const connectTo = (node: ClusterNode, token: string): Socket =>
  connectClient(node.url, { forceNew: true, reconnection: false, transports: ['websocket'], auth: { token } });

/** One socket per node for each user; resolves once all are connected. */
async function socketsFor(nodes: ClusterNode[], users: string[]): Promise<Socket[][]> {
  const rows: Socket[][] = [];
  for (const sub of users) {
    const row = nodes.map((node) => connectTo(node, sign({ sub, iat: nowSeconds() - 1 })));
    await Promise.all(row.map((socket) => connected(socket, 10_000)));
    rows.push(row);
  }
  return rows;
}

const now = () => performance.timeOrigin + performance.now();

interface Result {
  topology: string;
  perSocket: number[];
  lastPerTrial: number[];
  local: number[];
  fetch: { ms: number[]; complete: boolean; seen: number; expected: number };
  bystanderKill: string;
  revokerKill: string;
}

async function revokeLatency(nodes: ClusterNode[]) {
  const users = Array.from({ length: TRIALS }, (_, i) => `user-${i}-${randomUUID()}`);
  const rows = await socketsFor(nodes, users);
  const perSocket: number[] = [];
  const local: number[] = [];
  const lastPerTrial: number[] = [];
  const fetch = await fetchFromEveryNode(nodes, users.length * nodes.length);
  for (const [trial, sub] of users.entries()) {
    const revoker = trial % nodes.length;
    const drops = rows[trial]!.map(async (socket) => (await next(socket, 'disconnect', 5000), now()));
    const { startedAt } = await nodes[revoker]!.call<{ startedAt: number }>('revoke', { rule: { sub } });
    const times = (await Promise.all(drops)).map((at) => at - startedAt);
    for (const [index, ms] of times.entries()) (index === revoker ? local : perSocket).push(ms);
    lastPerTrial.push(Math.max(...times));
  }
  return { perSocket: sorted(perSocket), local: sorted(local), lastPerTrial: sorted(lastPerTrial), fetch };
}

/** fetchSockets() from every node: the claims of all `expected` sockets, whichever node holds them. */
async function fetchFromEveryNode(nodes: ClusterNode[], expected: number) {
  const ms: number[] = [];
  let complete = true;
  let seen = 0;
  for (const node of nodes) {
    const started = now();
    const sockets = await node.call<{ data: { decoded_token?: { sub?: string } } }[]>('fetchSockets');
    ms.push(now() - started);
    seen = sockets.length;
    if (sockets.length !== expected || !sockets.every((socket) => typeof socket.data.decoded_token?.sub === 'string')) complete = false;
  }
  return { ms: sorted(ms), complete, seen, expected };
}

/**
 * Revokes BATCH users from `revoker` without waiting, and SIGKILLs `victim` once the first
 * revocation is acknowledged. Returns what a survivor-side check found.
 */
async function killMidRevocation(nodes: ClusterNode[], revoker: number, victim: number): Promise<string> {
  const users = Array.from({ length: BATCH }, (_, i) => `batch-${i}-${randomUUID()}`);
  const tokens = users.map((sub) => sign({ sub, iat: nowSeconds() - 1 }));
  const rows: Socket[][] = [];
  for (const token of tokens) {
    const row = nodes.map((node) => connectTo(node, token));
    await Promise.all(row.map((socket) => connected(socket, 10_000)));
    rows.push(row);
  }
  const acked: boolean[] = users.map(() => false);
  const revoke = (sub: string, i: number) =>
    nodes[revoker]!.call('revoke', { rule: { sub } }).then(
      () => (acked[i] = true),
      () => {},
    );
  // Half the batch first; once one is acknowledged, the other half is sent and the victim killed in the same tick.
  const half = BATCH / 2;
  const first = users.slice(0, half).map((sub, i) => revoke(sub, i));
  await Promise.race(first);
  const second = users.slice(half).map((sub, i) => revoke(sub, half + i));
  const victimExited = once(nodes[victim]!.process, 'exit');
  nodes[victim]!.process.kill('SIGKILL');
  await Promise.all([...first, ...second, victimExited]);
  const survivors = nodes.map((node, index) => ({ node, index })).filter(({ node }) => node.alive);
  // Stored: the token is refused (revoked) at a survivor's handshake. Every acknowledged
  // revocation must be stored, and every stored one must drop the user's sockets on every
  // survivor (2 s allowed each), acknowledged or not.
  const stored = await Promise.all(tokens.map(async (token) => {
    const socket = connectTo(survivors[0]!.node, token);
    const error = await refusal(socket).catch(() => undefined);
    socket.disconnect();
    return error?.data?.reason === 'revoked';
  }));
  const checks: Promise<boolean>[] = [];
  for (const [i, row] of rows.entries()) {
    if (!stored[i]) continue;
    for (const { index } of survivors) {
      const socket = row[index]!;
      checks.push(socket.connected ? next(socket, 'disconnect', 2000).then(() => true, () => false) : Promise.resolve(true));
    }
  }
  const dropped = await Promise.all(checks);
  const liveAfter = dropped.filter((gone) => !gone).length;
  let admitted = 0;
  for (const [i, token] of tokens.entries()) {
    if (!stored[i]) continue;
    for (const { node } of survivors) {
      const socket = connectTo(node, token);
      const error = await refusal(socket).catch((timeout: Error) => ({ message: timeout.message, data: undefined }));
      socket.disconnect();
      if (error.data?.reason !== 'revoked') admitted++;
    }
  }
  const ackedCount = acked.filter(Boolean).length;
  const storedCount = stored.filter(Boolean).length;
  const ackedNotStored = acked.filter((ack, i) => ack && !stored[i]).length;
  for (const row of rows) for (const socket of row) socket.disconnect();
  return `${ackedCount}/${BATCH} acknowledged, ${storedCount}/${BATCH} stored, acknowledged but not stored: ${ackedNotStored}; of the ${fmt(dropped.length)} sockets of stored revocations on the ${survivors.length} surviving nodes, ${liveAfter} still connected after 2 s; stored revoked tokens admitted at a survivor's handshake: ${admitted}`;
}

async function runTopology(topology: string, options: Omit<NodeOptions, 'prefix'>, cleanup: Cleanups): Promise<Result> {
  const prefix = `sockjwt-bench:${randomUUID()}:`;
  const nodes = await Promise.all(Array.from({ length: NODES }, () => startNode(cleanup, { ...options, prefix })));
  await untilMeshed(nodes, 30_000);
  console.log(`${topology}: ${NODES} nodes meshed`);
  const latency = await revokeLatency(nodes);
  console.log(`${topology}: revoke latency p50 ${fmt(percentile(latency.perSocket, 50), 1)} ms, p99 ${fmt(percentile(latency.perSocket, 99), 1)} ms`);
  const bystanderKill = await killMidRevocation(nodes, 0, 1);
  console.log(`${topology}: bystander killed: ${bystanderKill}`);
  const revokerKill = await killMidRevocation(nodes.filter((node) => node.alive), 0, 0);
  console.log(`${topology}: revoker killed: ${revokerKill}`);
  return { topology, ...latency, bystanderKill, revokerKill };
}

function sorted(xs: number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

const results: Result[] = [];
{
  // A Redis of the benchmark's own, like the cluster's masters: the shared one serves other work too.
  const cleanup = cleanups();
  const redis = await plainRedis(cleanup);
  results.push(await runTopology('one Redis (classic adapter)', { redisUrl: redis.url }, cleanup));
  await cleanup.run();
}
{
  const cleanup = cleanups();
  const cluster = await redisCluster(cleanup);
  results.push(await runTopology('3-master Redis Cluster (sharded adapter)', { clusterNodes: [cluster.urls[0]!] }, cleanup));
  await cleanup.run();
}

const ms = (x: number) => fmt(x, 1);
const rows = results
  .map((r) => `| ${r.topology} | ${r.perSocket.length} | ${ms(percentile(r.perSocket, 50))} | ${ms(percentile(r.perSocket, 99))} | ${ms(r.perSocket.at(-1)!)} | ${ms(percentile(r.lastPerTrial, 50))} | ${ms(percentile(r.lastPerTrial, 99))} | ${ms(percentile(r.local, 50))} |`)
  .join('\n');
const fetchRows = results
  .map((r) => `| ${r.topology} | ${r.fetch.complete ? `all ${fmt(r.fetch.expected)} from each of ${NODES} nodes` : `INCOMPLETE: ${r.fetch.seen}/${r.fetch.expected}`} | ${ms(percentile(r.fetch.ms, 50))} | ${ms(r.fetch.ms.at(-1)!)} |`)
  .join('\n');
const kills = results.map((r) => `- ${r.topology}:\n  - a bystander node killed mid-batch: ${r.bystanderKill}\n  - the revoking node killed mid-batch: ${r.revokerKill}`).join('\n');
const worstP99 = Math.max(...results.map((r) => percentile(r.perSocket, 99)));
const body = `## Ten nodes: one Redis and a 3-master Redis Cluster (issue 16, benchmark 6)

${provenance('npm run bench:cluster-scale', loadBefore)}

${NODES} node processes (test/cluster/node.ts: socket.io + \`sockjwt/redis\`, handshake mode) and one client process, on this
2-core machine; on one Redis (a redis-server of its own, classic \`@socket.io/redis-adapter\`) and on a 3-master Redis Cluster
started by the benchmark (\`redis-cli --cluster create\`, node-redis \`createCluster\`, sharded adapter; revocation notices by SPUBLISH/SSUBSCRIBE there, PUBLISH/SUBSCRIBE on one Redis). ${fmt(TRIALS)} trial users, each with
one socket on every node; a trial revokes the user (\`revoke({ sub })\`) on one node (rotating) and times until each socket's
\`disconnect\` fires in the client process. "remote": the ${NODES - 1} sockets on other nodes; "last": the slowest of the ${NODES} per trial.

| topology | n (remote) | p50 (ms) | p99 (ms) | max (ms) | last of ${NODES}, p50 | last of ${NODES}, p99 | local p50 |
|---|---:|---:|---:|---:|---:|---:|---:|
${rows}

Goal: p99 < 20 ms on this machine (issue 24): worst remote p99 ${ms(worstP99)} ms — ${verdict(worstP99 < 20)}.

\`fetchSockets()\` from each node in turn, with ${fmt(TRIALS * NODES)} sockets spread over the ${NODES} nodes (claims of every socket, \`decoded_token.sub\` checked):

| topology | answer | p50 (ms) | max (ms) |
|---|---|---:|---:|
${fetchRows}

A node killed (SIGKILL) mid-revocation: ${BATCH} users with a socket on every node; ${BATCH / 2} \`revoke({ sub })\` sent to one node at once;
when the first is acknowledged the other ${BATCH / 2} are sent and, in the same tick, another node is killed; every socket of a stored revocation on the surviving
nodes must see its disconnect within 2 s, and each revoked token is tried at every survivor's handshake. Then the same with the revoking node killed.
"Stored" means a survivor refuses the token as revoked; every stored revocation, acknowledged or not, must drop its sockets everywhere.
${kills}
`;
console.log(body);
if (!values['no-write']) writeSection('cluster-scale', body);
process.exit(0);
