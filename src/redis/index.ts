export { RedisCluster } from './redis-cluster.js';
export type { RedisClusterLogger, RedisClusterOptions, ShardedAdapterChoice, ShardedRedisAdapterOptions } from './redis-cluster.js';
export { RedisRevocationStore, REVOCATION_EVENT } from './redis-revocation-store.js';
export type { RedisRevocationStoreOptions } from './redis-revocation-store.js';
export type { IoredisLike, NodeRedisClientLike, NodeRedisClusterLike, RedisCommandClient } from './command-client.js';
