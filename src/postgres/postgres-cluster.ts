import { createAdapter, type PostgresAdapterOptions } from '@socket.io/postgres-adapter';
import pg from 'pg';
import type { Server } from 'socket.io';
import { numberOption } from '../util/numbers.js';
import { guardedPool, type GuardedPool } from './guarded-pool.js';
import { describe, PostgresRevocationStore, type PostgresLogger } from './postgres-revocation-store.js';
import { tableNames } from './schema.js';

/** The adapter's own options, and socket.io's cluster options (`heartbeatInterval`, `requestsTimeout`…). */
export type PostgresAdapterChoice = Partial<PostgresAdapterOptions & NonNullable<Parameters<typeof createAdapter>[1]>>;

export interface PostgresClusterOptions {
  /** Where PostgreSQL is. Default `process.env.DATABASE_URL`. */
  connectionString?: string;
  /**
   * Your own `pg.Pool` instead of `connectionString`: the adapter and the store share it, and
   * sockjwt never closes it. The store's listening connection uses its settings.
   */
  pool?: pg.Pool;
  /** Connections in the pool sockjwt makes (a node opens this many at most, plus one to listen). Default 10. */
  poolSize?: number;
  /**
   * Installs `@socket.io/postgres-adapter` on the server, `true` or its options. `false` when you
   * bring another adapter: revocations do not need it (the store hears them from PostgreSQL).
   * Default `true`.
   */
  adapter?: boolean | PostgresAdapterChoice;
  /** The revocation table, `name` or `schema.name`; also its NOTIFY channel. Default `'sockjwt_revocations'`. */
  tableName?: string;
  /** Creates the tables (the store's, and the adapter's for large messages) if missing. Default true. */
  createTables?: boolean;
  /** How long (ms) a revocation given without `exp` is kept. Default 24 h. */
  retentionMs?: number;
  /** A revocation check slower than this (ms) counts as unavailable. Default 1000. */
  commandTimeoutMs?: number;
  /** Where connection changes are reported, once per outage and once per recovery. Default: the console. */
  logger?: PostgresLogger;
}

const DEFAULT_POOL_SIZE = 10;
const CLOSE_GRACE_MS = 1000;
/** A statement the server runs longer than this is cancelled there too, not only abandoned here. */
const STATEMENT_TIMEOUT_MS = 10_000;

const consoleLogger: PostgresLogger = {
  warn: (_fields, message) => console.warn(message),
  info: (_fields, message) => console.info(message),
};

/**
 * One node's link to the cluster on PostgreSQL: the socket.io PostgreSQL adapter (broadcasts,
 * rooms and `fetchSockets()` across nodes) and the shared revocation store, on one database.
 *
 * The node keeps serving while PostgreSQL is away: connections are retried, checks follow
 * `authorize()`'s `revocationFailMode`, and when the store listens again every live socket is
 * checked again for revocations this node could not hear. Rules are rows: a restart keeps them.
 *
 * @example
 * ```ts
 * import { PostgresCluster } from 'sockjwt/postgres';
 * const cluster = new PostgresCluster(io, { connectionString: process.env.DATABASE_URL }); // installs the adapter on io
 * const auth = authorize({ secret, handshake: true, revocationStore: cluster.revocationStore });
 * io.use(auth);
 * await auth.revoke({ sub: 'user-42' }); // drops the user's sockets on every node
 * ```
 */
export class PostgresCluster {
  readonly revocationStore: PostgresRevocationStore;
  /** Resolves once the store listens; never rejects, since PostgreSQL may come later. */
  readonly ready: Promise<void>;
  private readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly logger: PostgresLogger;
  private adapterFailureReported = false;
  private adapterPool: GuardedPool | undefined;

  constructor(io: Server, options: PostgresClusterOptions = {}) {
    this.logger = options.logger ?? consoleLogger;
    this.ownsPool = options.pool === undefined;
    this.pool = options.pool ?? ownPool(options);
    // An idle connection that dies emits `error` on the pool: unhandled, it would end the process.
    this.pool.on('error', () => {}); // outages are reported by the store's listener
    const createTables = options.createTables !== false;
    this.revocationStore = new PostgresRevocationStore({
      pool: this.pool,
      tableName: options.tableName,
      createTable: createTables,
      retentionMs: options.retentionMs,
      commandTimeoutMs: options.commandTimeoutMs,
      logger: this.logger,
    });
    if (options.adapter !== false) this.installAdapter(io, typeof options.adapter === 'object' ? options.adapter : {}, createTables);
    this.ready = this.revocationStore.listening;
  }

  /** True while the store listens on PostgreSQL. */
  get connected(): boolean {
    return this.revocationStore.connected;
  }

  /** Closes what sockjwt opened: the listener, and the pool if it made it. Close the socket.io server first. */
  async close(): Promise<void> {
    await this.revocationStore.close();
    this.adapterPool?.close();
    if (!this.ownsPool) return;
    // end() waits for every checked-out connection; one the adapter still holds must not hold the shutdown.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.pool.end().catch(() => {}), new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)))]);
    clearTimeout(timer);
  }

  private installAdapter(io: Server, choice: PostgresAdapterChoice, createTables: boolean): void {
    const report = (error: unknown) => {
      if (this.adapterFailureReported) return; // once per outage, not once per broadcast
      this.adapterFailureReported = true;
      this.logger.warn({ err: error }, `sockjwt/postgres: socket.io adapter queries are failing (${describe(error)}); broadcasts to other nodes are lost until PostgreSQL is back`);
    };
    const attachments = tableNames(choice.tableName ?? 'socket_io_attachments', 'adapter.tableName');
    // The adapter keeps payloads over 8000 bytes (a large fetchSockets() answer) in a table it does not create.
    this.revocationStore.onMissedRules(() => {
      this.adapterFailureReported = false;
      if (createTables) void this.pool.query(`CREATE TABLE IF NOT EXISTS ${attachments.table} (id bigserial UNIQUE, created_at timestamptz DEFAULT now(), payload bytea)`).catch(() => {});
    });
    this.adapterPool = guardedPool(this.pool, report);
    io.adapter(createAdapter(this.adapterPool.pool, { ...choice, errorHandler: choice.errorHandler ?? report }));
  }
}

function ownPool(options: PostgresClusterOptions): pg.Pool {
  const connectionString = options.connectionString ?? process.env['DATABASE_URL'];
  if (!connectionString) throw new TypeError('sockjwt/postgres: give "connectionString", "pool", or set DATABASE_URL');
  const commandTimeoutMs = options.commandTimeoutMs ?? 1000;
  return new pg.Pool({
    connectionString,
    max: poolSize(options.poolSize),
    // A pool that cannot connect, or has no connection free, answers within the check's bound.
    connectionTimeoutMillis: commandTimeoutMs,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    lock_timeout: commandTimeoutMs,
    keepAlive: true,
  });
}

function poolSize(size: number | undefined): number {
  const chosen = numberOption(size, 'poolSize', 'positiveInteger', 'sockjwt/postgres') ?? DEFAULT_POOL_SIZE;
  if (chosen < 2) throw new RangeError('sockjwt/postgres: "poolSize" must be at least 2 (the adapter keeps one connection)');
  return chosen;
}
