export { RedisCluster } from './redis-cluster.js';
export type { RedisClusterLogger, RedisClusterOptions } from './redis-cluster.js';
export { RedisRevocationStore, REVOCATION_EVENT } from './redis-revocation-store.js';
export type { RedisCommandClient, RedisRevocationStoreOptions } from './redis-revocation-store.js';
