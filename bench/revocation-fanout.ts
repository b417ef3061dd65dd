// Benchmark 7 (issue 16): what one revocation costs, in Redis and on each node, as the
// number of nodes grows. Every node listens on the notices channel, so each revocation is
// one EVAL (GET, PTTL, SET, PUBLISH) whose PUBLISH is delivered to every node.
//
//  1. Redis: a private redis-server; S raw subscriber connections stand in for S nodes
//     (S = 10, 100, 1,000); 2,000 revocations stored one after another through
//     RedisRevocationStore; Redis's own CPU time per EVAL (INFO commandstats) and the wall time.
//  2. One node: a RedisRevocationStore listening with a subscriber and an authorize() attached
//     to it; redis-benchmark publishes 20,000 notices naming subjects it has no socket of
//     (what almost every node sees of almost every revocation); CPU time per notice.
//
//   node --import tsx bench/revocation-fanout.ts [--no-write]
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket as NetSocket } from 'node:net';
import { parseArgs } from 'node:util';
import { createClient } from 'redis';
import { authorize } from '../src/index.js';
import { RedisRevocationStore } from '../src/redis/index.js';
import { aofRedis } from '../test/redis-topologies.js';
import type { Cleanup } from '../test/cluster/nodes.js';
import { SECRET } from '../test/support.js';
import { fmt, load, provenance, writeSection } from './lib/report.js';

const { values } = parseArgs({ options: { 'no-write': { type: 'boolean', default: false } } });
const loadBefore = load();
const fns: Array<() => unknown> = [];
const cleanup: Cleanup = { after: ((fn: () => unknown) => void fns.push(fn)) as Cleanup['after'] };
const keyPrefix = 'sockjwt:revoked:';
const channel = `{${keyPrefix}}notices`;
const REVOCATIONS = 2000;
const NOTICES = 20_000;

// A Redis of our own: AOF on (appendfsync always), as an operator who wants rules to survive would run it.
const redis = await aofRedis(cleanup);
const client = createClient({ url: redis.url });
await client.connect();

async function subscribers(count: number): Promise<NetSocket[]> {
  const sockets: NetSocket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = connect(redis.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.on('data', () => {}); // read and drop what Redis pushes, as a node would read it
    socket.write(`SUBSCRIBE ${channel}\r\n`);
    sockets.push(socket);
  }
  const deadline = Date.now() + 10_000;
  while (Number((await client.sendCommand<[string, number]>(['PUBSUB', 'NUMSUB', channel]))[1]) < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return sockets;
}

const redisRows: string[] = [];
const store = new RedisRevocationStore({ client, keyPrefix });
for (const nodes of [10, 100, 1000]) {
  const sockets = await subscribers(nodes);
  await client.sendCommand(['CONFIG', 'RESETSTAT']);
  const started = performance.now();
  for (let i = 0; i < REVOCATIONS; i++) await store.add({ sub: `user-${nodes}-${i}`, issuedBefore: Date.now(), expiresAt: Date.now() + 60_000 });
  const wallUs = ((performance.now() - started) * 1000) / REVOCATIONS;
  const stats = await client.sendCommand<string>(['INFO', 'commandstats']);
  const usecPerCall = Number(/cmdstat_eval(?:sha)?:calls=\d+,usec=\d+,usec_per_call=([\d.]+)/.exec(stats)?.[1]);
  redisRows.push(`| ${fmt(nodes)} | ${fmt(usecPerCall, 1)} | ${fmt(wallUs, 0)} | ${fmt(1e6 / usecPerCall)} |`);
  console.log(`${nodes} subscribers: Redis ${usecPerCall} µs per revocation (EVAL incl. PUBLISH), ${wallUs.toFixed(0)} µs wall`);
  for (const socket of sockets) socket.destroy();
}

// One node's side: CPU per notice heard.
const subscriber = client.duplicate();
await subscriber.connect();
const listening = new RedisRevocationStore({ client, keyPrefix, subscriber });
await listening.listening;
authorize({ secret: SECRET, handshake: true, revocationStore: listening }); // subscribes its session registry
let heard = 0;
let done!: () => void;
const allHeard = new Promise<void>((resolve) => (done = resolve));
listening.subscribe(() => {
  if (++heard === NOTICES) done();
});
const notice = JSON.stringify({ keyPrefix, rule: { sub: 'someone-elsewhere', issuedBefore: Date.now(), expiresAt: Date.now() + 60_000 } });
const cpuBefore = process.cpuUsage();
const publisher = spawnSync('redis-benchmark', ['-p', String(redis.port), '-n', String(NOTICES), '-c', '1', '-P', '16', '-q', 'PUBLISH', channel, notice], { encoding: 'utf8' });
if (publisher.status !== 0) throw new Error(`redis-benchmark failed: ${publisher.stderr}`);
await allHeard;
const cpu = process.cpuUsage(cpuBefore);
const usPerNotice = (cpu.user + cpu.system) / NOTICES;
console.log(`one node: ${usPerNotice.toFixed(1)} µs CPU per notice heard`);
listening.close();
store.close();
await subscriber.close();
await client.close();
for (const fn of fns.reverse()) await fn();

const body = `## Revocation fan-out: cost per revocation in Redis and per node (issue 16, benchmark 7)

${provenance('npm run bench:fanout', loadBefore)}

Every node listens on the notices channel, so a revocation is one \`EVAL\` (GET, PTTL, SET, PUBLISH) whose message Redis
writes to every node's connection. A private redis-server (\`appendonly yes\`, \`appendfsync always\`); S raw subscriber connections
stand in for S nodes; ${fmt(REVOCATIONS)} revocations stored one after another. Redis CPU: \`INFO commandstats\` usec_per_call of EVAL
(includes the PUBLISH to every subscriber, not the AOF fsync); wall: per \`add()\` in the client, fsync included.

| nodes (subscribers) | Redis µs per revocation | wall µs per revocation | revocations/s one Redis core could take |
|---:|---:|---:|---:|
${redisRows.join('\n')}

One node: ${fmt(NOTICES)} notices of subjects it holds no socket of (what almost every node sees of almost every revocation),
published by \`redis-benchmark\`, heard by a \`RedisRevocationStore\` with a subscriber and an \`authorize()\` on it:
**${fmt(usPerNotice, 1)} µs of CPU per notice** (node-redis parsing, JSON, the registry lookup).
`;
console.log(body);
if (!values['no-write']) writeSection('fanout', body);
process.exit(0);
