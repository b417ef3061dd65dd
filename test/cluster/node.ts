// One node of a test cluster, in its own process: a socket.io server on an ephemeral port
// with the Redis adapter and revocation store, driven by the test through IPC.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Cluster, Redis } from 'ioredis';
import { Server } from 'socket.io';
import { authorize, type RevocationRule } from '../../src/index.js';
import { RedisCluster, type RedisClusterOptions } from '../../src/redis/index.js';

const secret = process.env['JWT_SECRET']!;
const prefix = process.env['SOCKJWT_PREFIX']!;
const failMode = process.env['FAIL_MODE'] === 'open' ? 'open' : 'closed';

const http = createServer();
const io = new Server(http, { transports: ['websocket'] });
const warnings: string[] = [];
const logger = {
  warn: (_: object, message: string) => warnings.push(message),
  info: (_: object, message: string) => warnings.push(message),
};
process.on('warning', (warning) => warnings.push(`${(warning as { code?: string }).code}: ${warning.message}`));
/**
 * Which Redis: REDIS_CLUSTER_NODES (a Redis Cluster, sharded adapter; node-redis `createCluster`,
 * or an ioredis `Cluster` with REDIS_CLIENT=ioredis), REDIS_SENTINELS + SENTINEL_NAME (an ioredis client on Sentinel), or REDIS_URL
 * (node-redis; REDIS_CLIENT=ioredis for an ioredis client).
 */
function topology(): { options: RedisClusterOptions; ownClient?: Redis | Cluster } {
  const clusterNodes = process.env['REDIS_CLUSTER_NODES'];
  if (clusterNodes) {
    const adapter = { sharded: true as const, channelPrefix: `${prefix}socket.io` };
    if (process.env['REDIS_CLIENT'] !== 'ioredis') return { options: { clusterNodes: clusterNodes.split(','), adapter } };
    const cluster = new Cluster(clusterNodes.split(',').map((url) => ({ host: new URL(url).hostname, port: Number(new URL(url).port) })), { shardedSubscribers: true });
    cluster.on('error', () => {});
    return { options: { client: cluster, adapter }, ownClient: cluster };
  }
  const sentinels = process.env['REDIS_SENTINELS'];
  const ioredis = sentinels
    ? new Redis({ sentinels: sentinels.split(',').map((address) => ({ host: address.split(':')[0]!, port: Number(address.split(':')[1]) })), name: process.env['SENTINEL_NAME']! })
    : process.env['REDIS_CLIENT'] === 'ioredis'
      ? new Redis(process.env['REDIS_URL']!)
      : undefined;
  ioredis?.on('error', () => {}); // reported through RedisCluster's logger
  const adapter = { key: `${prefix}socket.io` };
  return ioredis ? { options: { client: ioredis, adapter }, ownClient: ioredis } : { options: { url: process.env['REDIS_URL'] || undefined, adapter } };
}
const { options, ownClient } = topology();
// 1.5 s, not 500 ms: with test files running side by side a check on a live Redis took over
// 500 ms, and the handshake was refused revocation_unavailable; no test decides by this limit.
const cluster = new RedisCluster(io, { ...options, keyPrefix: prefix, commandTimeoutMs: 1500, logger });
const auth = authorize({ secret, handshake: true, revocationStore: cluster.revocationStore, revocationFailMode: failMode });
io.use(auth);
io.on('connection', (socket) => {
  socket.on('whoami', (ack: (data: unknown) => void) => ack({ node: process.pid, data: socket.data }));
});

type Command =
  | { id: number; cmd: 'revoke'; rule: RevocationRule }
  | { id: number; cmd: 'fetchSockets' }
  | { id: number; cmd: 'serverCount' }
  | { id: number; cmd: 'broadcast'; forMs: number }
  | { id: number; cmd: 'state' }
  | { id: number; cmd: 'closeRedis' }
  | { id: number; cmd: 'close' };

const handlers = {
  async revoke({ rule }: { rule: RevocationRule }) {
    const startedAt = performance.timeOrigin + performance.now();
    const dropped = await auth.revoke(rule);
    return { startedAt, dropped };
  },
  async fetchSockets() {
    const sockets = await io.fetchSockets();
    // What crossed the wire, as the adapter delivered it.
    return sockets.map((socket) => ({ id: socket.id, data: socket.data, handshake: socket.handshake }));
  },
  /** Broadcasts every millisecond for `forMs`, so publishes are in flight whatever happens to Redis. */
  async broadcast({ forMs }: { forMs: number }) {
    const timer = setInterval(() => io.emit('news', 'hello'), 1);
    setTimeout(() => clearInterval(timer), forMs);
    return true;
  },
  async serverCount() {
    return io.of('/').adapter.serverCount();
  },
  async state() {
    return { sessions: auth.sessionCount, redis: cluster.connected, warnings, ownClient: ownClient?.status };
  },
  /** Closes RedisCluster only: what it leaves of the application's own client. */
  async closeRedis() {
    await cluster.close();
    return { connected: cluster.connected, ownClient: ownClient?.status };
  },
  async close() {
    await io.close();
    await cluster.close();
    ownClient?.disconnect(); // the application's own client: RedisCluster leaves it open
    setImmediate(() => process.exit(0));
    return true;
  },
};

// A parent that dies without closing us (a crashed test or benchmark) must not leave us running.
process.on('disconnect', () => process.exit(1));

process.on('message', (message: Command) => {
  const { id, cmd } = message;
  (handlers[cmd] as (m: Command) => Promise<unknown>)(message).then(
    (result) => process.send!({ id, result }),
    (error: unknown) => process.send!({ id, error: error instanceof Error ? error.message : String(error) }),
  );
});

http.listen(0, '127.0.0.1', () => {
  process.send!({ type: 'listening', port: (http.address() as AddressInfo).port });
  void cluster.ready.then(() => process.send!({ type: 'redis-ready' }));
});
