#!/usr/bin/env node
// `npm run cluster`: N nodes of the chat example on consecutive ports, one Redis (or PostgreSQL) between them.
//
//   npm run cluster                 3 nodes on 3000, 3001, 3002, Redis at 127.0.0.1:6379
//   CLUSTER_NODES=5 PORT=4000 REDIS_URL=redis://redis.internal:6379 npm run cluster
//   node scripts/cluster.mjs --no-build   skip the library and page build (tests do)
//
// Other Redis topologies (each instead of REDIS_URL):
//   REDIS_CLUSTER_NODES=redis://10.0.0.1:7000,redis://10.0.0.2:7000 npm run cluster
//       a Redis Cluster (node-redis createCluster finds the other nodes; sharded adapter)
//   REDIS_SENTINELS=10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379 REDIS_SENTINEL_NAME=mymaster npm run cluster
//       the master the sentinels name (an ioredis client that follows failovers)
//
// Or PostgreSQL instead of Redis (sockjwt/postgres: @socket.io/postgres-adapter and the revocation table):
//   DATABASE_URL=postgres://user:password@db.internal:5432/app npm run cluster
//
// Every node shares JWT_SECRET (a random one for this run when unset), so a token from one
// node's /login is accepted by all; a revocation on any node drops sockets on all of them.
// Clients use the websocket transport only, so no sticky sessions are needed.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const count = positiveInteger(process.env.CLUSTER_NODES, 3, 'CLUSTER_NODES');
const basePort = positiveInteger(process.env.PORT, 3000, 'PORT');
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const topology = process.env.DATABASE_URL
  ? 'DATABASE_URL (PostgreSQL)'
  : process.env.REDIS_CLUSTER_NODES
  ? `Redis Cluster ${process.env.REDIS_CLUSTER_NODES}`
  : process.env.REDIS_SENTINELS
    ? `Sentinel ${process.env.REDIS_SENTINELS} (${process.env.REDIS_SENTINEL_NAME || 'mymaster'})`
    : 'REDIS_URL';
console.log(`${count} nodes from port ${basePort}, sharing ${topology}`);
let jwtSecret = process.env.JWT_SECRET;
if (!jwtSecret) {
  jwtSecret = randomBytes(32).toString('base64url');
  console.warn('WARNING: JWT_SECRET is not set: the nodes share a random secret for this run.');
}

if (!process.argv.includes('--no-build')) {
  for (const script of ['build', 'build:example']) {
    const built = spawnSync('npm', ['run', '--silent', script], { cwd: root, stdio: 'inherit' });
    if (built.status !== 0) process.exit(built.status ?? 1);
  }
}

const nodes = Array.from({ length: count }, (_, index) => startNode(index));
let stopping = false;

function startNode(index) {
  const port = basePort + index;
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/chat/server/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), REDIS_URL: redisUrl, JWT_SECRET: jwtSecret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const label = `[node ${index + 1} :${port}]`;
  for (const stream of [child.stdout, child.stderr]) {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop();
      for (const line of lines) console.log(`${label} ${line}`);
    });
  }
  child.on('exit', (code, signal) => {
    console.log(`${label} exited (${signal ?? code})`);
    if (!stopping) stop(`${label} stopped unexpectedly; stopping the cluster`, 1);
    else if (nodes.every((node) => node.exitCode !== null || node.signalCode !== null)) process.exit(process.exitCode ?? 0);
  });
  return child;
}

function stop(message, exitCode = 0) {
  if (stopping) return;
  stopping = true;
  process.exitCode = exitCode;
  console.log(message);
  for (const node of nodes) if (node.exitCode === null && node.signalCode === null) node.kill('SIGTERM');
}

for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => stop(`\nstopping ${count} nodes`));

function positiveInteger(value, fallback, name) {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`${name} must be a positive integer, not "${value}"`);
    process.exit(2);
  }
  return n;
}
