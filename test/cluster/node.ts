// One node of a test cluster, in its own process: a socket.io server on an ephemeral port
// with the Redis adapter and revocation store, driven by the test through IPC.
import { Cluster, Redis } from 'ioredis';
import { authorize } from '../../src/index.js';
import { RedisCluster, type RedisClusterOptions } from '../../src/redis/index.js';
import { failMode, nodeServer, prefix, serveCommands, secret } from './node-commands.js';

const { http, io, warnings, logger } = nodeServer();
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

serveCommands(http, io, auth, cluster.ready, {
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
});
