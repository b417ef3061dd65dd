export { PostgresCluster } from './postgres-cluster.js';
export type { PostgresAdapterChoice, PostgresClusterOptions } from './postgres-cluster.js';
export { PostgresRevocationStore } from './postgres-revocation-store.js';
export type { PgPoolLike, PostgresLogger, PostgresRevocationStoreOptions } from './postgres-revocation-store.js';
export type { ListenConnection } from './notice-listener.js';
