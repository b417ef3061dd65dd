// `npm start`: the chat example with its settings from the environment.
import { Redis } from 'ioredis';
import { PostgresCluster } from 'sockjwt/postgres';
import { RedisCluster, type RedisClusterOptions } from 'sockjwt/redis';
import { createChatServer, type ChatIo, type ClusterLink } from './app.js';
import { readConfig, redactUrl, type EnvConfig } from './config.js';
import { loadUsers } from './users.js';

const env = readConfig();
for (const warning of env.warnings) console.warn(`WARNING: ${warning}`);
const topology = postgresTopology(env) ?? redisTopology(env);
if (topology) console.log(`Cluster mode: ${topology.where} carries broadcasts, who is online and revocations between nodes.`);

const users = loadUsers(env.usersFile);
let server: Awaited<ReturnType<typeof createChatServer>>;
try {
  server = await createChatServer({
    ...env,
    users,
    cluster: topology?.join,
  });
} catch (error) {
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`Port ${env.port} is already in use: start with another one, e.g. PORT=${env.port + 1} npm start`);
    process.exit(1);
  }
  throw error;
}

const demo = users.map((u) => `  ${u.username.padEnd(8)} ${(u.demoPassword ?? '(no demo password)').padEnd(12)} ${u.role}`);
console.log(`
sockjwt chat example running at ${server.url}

Demo users (username, password, role):
${demo.join('\n')}

Access tokens live ${env.accessTokenTtlSeconds} s (ACCESS_TOKEN_TTL) and are refreshed in place.
Open the URL in two browser windows (one private) to chat as two users. Ctrl-C stops.
`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log('\nstopping');
    void server.close().then(() => process.exit(0));
  });
}

/** DATABASE_URL: the nodes share PostgreSQL (its adapter, and the revocation table) instead of Redis. */
function postgresTopology(config: EnvConfig): { where: string; join: (io: ChatIo) => ClusterLink } | undefined {
  const connectionString = config.databaseUrl;
  if (!connectionString) return undefined;
  return { where: `PostgreSQL at ${redactUrl(connectionString)}`, join: (io) => new PostgresCluster(io, { connectionString }) };
}

/**
 * Which Redis the nodes share: a Redis Cluster (REDIS_CLUSTER_NODES; sharded adapter), a
 * Sentinel-watched master (REDIS_SENTINELS; an ioredis client that follows failovers), or one
 * Redis (REDIS_URL). REDIS_KEY_PREFIX keeps clusters that share a Redis apart.
 */
function redisTopology(config: EnvConfig): { where: string; join: (io: ChatIo) => ClusterLink } | undefined {
  const keyPrefix = config.redisKeyPrefix;
  const named = keyPrefix ? { keyPrefix } : {};
  if (config.redisClusterNodes) {
    const clusterNodes = config.redisClusterNodes;
    const adapter = { sharded: true as const, ...(keyPrefix ? { channelPrefix: `${keyPrefix}socket.io` } : {}) };
    return { where: `the Redis Cluster at ${clusterNodes.map(redactUrl).join(', ')}`, join: (io) => new RedisCluster(io, { clusterNodes, adapter, ...named }) };
  }
  if (config.redisSentinels) {
    const { redisSentinels: sentinels, redisSentinelName: name } = config;
    return {
      where: `the master "${name}" of the sentinels ${sentinels.map((s) => `${s.host}:${s.port}`).join(', ')}`,
      join: (io) => {
        const client = new Redis({ sentinels, name });
        client.on('error', () => {}); // RedisCluster reports outages once each
        const cluster = new RedisCluster(io, { client, ...named, ...(keyPrefix ? { adapter: { key: `${keyPrefix}socket.io` } } : {}) } satisfies RedisClusterOptions);
        return { revocationStore: cluster.revocationStore, close: () => cluster.close().then(() => client.disconnect()) };
      },
    };
  }
  const url = config.redisUrl;
  if (!url) return undefined;
  return { where: `Redis at ${redactUrl(url)}`, join: (io) => new RedisCluster(io, keyPrefix ? { url, keyPrefix, adapter: { key: `${keyPrefix}socket.io` } } : { url }) };
}
