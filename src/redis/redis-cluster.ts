import { createAdapter, createShardedAdapter, type RedisAdapterOptions } from '@socket.io/redis-adapter';
import { createClient, createCluster } from 'redis';
import type { Server } from 'socket.io';
import { lacksShardedSubscribers, requireOpen, type RedisCommandClient } from './command-client.js';
import { connectionOf, type Connection } from './connection.js';
import { subscribingWhenReady, withHandledRejections } from './guarded-client.js';
import { RedisRevocationStore } from './redis-revocation-store.js';

/** Any pino-compatible logger; the default writes to the console. */
export interface RedisClusterLogger {
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

/** The sharded adapter's options (not exported by @socket.io/redis-adapter 8.3). */
export type ShardedRedisAdapterOptions = NonNullable<Parameters<typeof createShardedAdapter>[2]>;

/** `adapter: { sharded: true, … }`: the sharded adapter (Redis 7 SPUBLISH/SSUBSCRIBE), with its options. */
export type ShardedAdapterChoice = { sharded: true } & Partial<ShardedRedisAdapterOptions>;

export interface RedisClusterOptions {
  /** Where Redis is. Default `process.env.REDIS_URL`, else `redis://127.0.0.1:6379`. */
  url?: string;
  /**
   * A Redis Cluster instead of `url`: the addresses of some of its nodes (`redis://host:port`);
   * node-redis `createCluster` finds the rest.
   */
  clusterNodes?: string[];
  /**
   * Your own client instead of `url`: node-redis (`createClient`, `createCluster`) or
   * ioredis (`new Redis(…)`, with `sentinels` for Sentinel; `new Redis.Cluster(…)`). A node-redis
   * client must be connected or connecting (`connect()` called), else the constructor throws a
   * TypeError; an ioredis client made with `lazyConnect` is connected here. It is duplicated for
   * the adapter's subscriptions; sockjwt closes the duplicate, never your client.
   */
  client?: RedisCommandClient;
  /**
   * Installs `@socket.io/redis-adapter` on the server. `true` or its options: the classic
   * adapter (PUBLISH/PSUBSCRIBE). `{ sharded: true, … }`: the sharded adapter (Redis 7
   * SPUBLISH/SSUBSCRIBE), what to use on a Redis Cluster. `false` when you bring another
   * adapter, e.g. the Redis Streams adapter: revocations then travel through yours, as long
   * as it supports `serverSideEmit`. Default `true`.
   */
  adapter?: boolean | Partial<RedisAdapterOptions> | ShardedAdapterChoice;
  /** Prefix of the revocation keys in Redis. Default `'sockjwt:revoked:'`. */
  keyPrefix?: string;
  /** How long (ms) a revocation given without `exp` is kept. Default 24 h. */
  retentionMs?: number;
  /** A revocation check slower than this (ms) counts as unavailable. Default 1000. */
  commandTimeoutMs?: number;
  /** Where connection changes are reported. Default: the console. */
  logger?: RedisClusterLogger;
}

const MAX_QUEUED_COMMANDS = 10_000;
const CLOSE_GRACE_MS = 1000;

const consoleLogger: RedisClusterLogger = {
  warn: (_fields, message) => console.warn(message),
  info: (_fields, message) => console.info(message),
};

/**
 * One node's link to the cluster: the socket.io Redis adapter (broadcasts, rooms and
 * `fetchSockets()` across nodes) and the shared revocation store, on one Redis.
 *
 * The node keeps serving while Redis is away: connections are retried with back-off,
 * checks follow `authorize()`'s `revocationFailMode`, and when Redis returns every live
 * socket is checked again for revocations this node could not hear.
 *
 * Built without the server (`new RedisCluster(options)`), it opens its connections and serves
 * revocation checks at once, and installs the adapter when `attach(io)` hands it the server:
 * the order NestJS needs, whose WebSocket adapter creates the server after the providers.
 *
 * @example
 * ```ts
 * import { RedisCluster } from 'sockjwt/redis';
 * const cluster = new RedisCluster(io, { url: process.env.REDIS_URL }); // installs the adapter on io
 * const auth = authorize({ secret, handshake: true, revocationStore: cluster.revocationStore });
 * io.use(auth);
 * await auth.revoke({ sub: 'user-42' }); // drops the user's sockets on every node
 * ```
 */
export class RedisCluster {
  readonly revocationStore: RedisRevocationStore;
  /** Resolves once Redis has answered; never rejects, since Redis may come later. */
  readonly ready: Promise<void>;
  private readonly connection: Connection;
  /** The adapter's subscriptions; none when another adapter is brought (`adapter: false`). */
  private readonly subscriber: Connection | undefined;
  /** Where the store hears revocations, announced by Redis as it stores them. */
  private readonly notices: Connection;
  private readonly ownsClient: boolean;
  private readonly logger: RedisClusterLogger;
  private readonly where: string;
  private readonly adapterChoice: RedisClusterOptions['adapter'];
  private readonly subscriberReady: Promise<void> | undefined;
  private attached = false;
  private down = false;
  private closing = false;
  private adapterFailureReported = false;

  /** Connects to Redis and installs the adapter on `io`. */
  constructor(io: Server, options?: RedisClusterOptions);
  /** Connects to Redis; `attach(io)` installs the adapter once the server exists. */
  constructor(options?: RedisClusterOptions);
  constructor(ioOrOptions?: Server | RedisClusterOptions, given?: RedisClusterOptions) {
    const [io, options = {}] = isServer(ioOrOptions) ? [ioOrOptions, given] : [undefined, ioOrOptions];
    if (options.client !== undefined && lacksShardedSubscribers(options.client)) {
      throw new TypeError('sockjwt/redis: an ioredis Cluster needs its option `shardedSubscribers: true`: revocation notices (and the sharded adapter) use SSUBSCRIBE, which never reaches the shards without it');
    }
    if (options.client !== undefined) requireOpen(options.client, 'client');
    this.logger = options.logger ?? consoleLogger;
    this.ownsClient = options.client === undefined;
    this.connection = connectionOf(options.client ?? ownClient(options));
    this.subscriber = options.adapter === false ? undefined : this.connection.duplicate();
    this.notices = this.connection.duplicate();
    this.where = this.connection.describe();
    this.connection.watch((error) => this.reportDown(error), () => this.reportUp());
    // The store rechecks when its own connection returns; the adapter's may return later.
    this.subscriber?.watch(() => {}, () => this.revocationStore.announceMissedRules());
    this.notices.watch(() => {}, () => {}); // failures show on the command connection; the store rechecks on its return
    // Connecting before the store is made: it takes only clients that are open.
    const commandsReady = this.connection.open(true);
    const noticesReady = this.notices.open(true);
    this.revocationStore = new RedisRevocationStore({
      client: this.connection.client,
      keyPrefix: options.keyPrefix,
      retentionMs: options.retentionMs,
      commandTimeoutMs: options.commandTimeoutMs,
      subscriber: this.notices.client,
    });
    this.adapterChoice = options.adapter;
    this.subscriberReady = this.subscriber?.open(true);
    this.ready = Promise.all([commandsReady, this.subscriberReady, noticesReady, this.revocationStore.listening]).then(() => {});
    if (io !== undefined) this.attach(io);
  }

  /**
   * Installs the adapter on a server made after the cluster (unless `adapter: false`), and lets
   * the revocation store hear revocations announced through it. Once, before the server's first
   * connection; in NestJS, in the WebSocket adapter's `createIOServer`.
   *
   * @example
   * ```ts
   * const cluster = new RedisCluster({ url: process.env.REDIS_URL });
   * const auth = authorize({ secret, handshake: true, revocationStore: cluster.revocationStore });
   * const io = new Server(httpServer);
   * cluster.attach(io);
   * io.use(auth);
   * ```
   */
  attach(io: Server): void {
    if (this.attached) throw new TypeError('sockjwt/redis: this RedisCluster is attached to a socket.io server already');
    this.attached = true;
    this.revocationStore.attach(io);
    if (this.subscriber && this.subscriberReady) this.installAdapter(io, this.subscriber, typeof this.adapterChoice === 'object' ? this.adapterChoice : {}, this.subscriberReady);
  }

  /** True while the command connection is up. */
  get connected(): boolean {
    return this.connection.isReady();
  }

  /** Closes the connections sockjwt opened. Close the socket.io server first. */
  async close(): Promise<void> {
    this.closing = true;
    this.revocationStore.close();
    const mine = [this.notices, ...(this.subscriber ? [this.subscriber] : []), ...(this.ownsClient ? [this.connection] : [])];
    await Promise.all(mine.map((connection) => connection.close(CLOSE_GRACE_MS)));
  }

  private installAdapter(io: Server, subscriber: Connection, choice: Partial<RedisAdapterOptions> | ShardedAdapterChoice, subscriberReady: Promise<void>): void {
    const report = (error: unknown) => {
      if (this.adapterFailureReported) return; // once per outage, not once per broadcast
      this.adapterFailureReported = true;
      this.logger.warn({ err: error }, `sockjwt/redis: socket.io adapter commands are failing (${describe(error)}); broadcasts to other nodes are lost until Redis is back`);
    };
    const pub = withHandledRejections(this.connection.client, report);
    const subscriptions = subscriber.kind === 'node-redis-cluster' ? subscribingWhenReady(subscriber.client, subscriberReady) : subscriber.client;
    const sub = withHandledRejections(subscriptions, report);
    if (isSharded(choice)) {
      const { sharded: _, ...shardedOptions } = choice;
      io.adapter(createShardedAdapter(pub, sub, shardedOptions));
    } else io.adapter(createAdapter(pub, sub, choice as Partial<RedisAdapterOptions>));
  }

  /** Reports each outage once. */
  private reportDown(error: unknown): void {
    if (this.down || this.closing) return;
    this.down = true;
    this.logger.warn({ redis: this.where, err: error }, `sockjwt/redis: Redis at ${this.where} is unavailable (${describe(error)}); retrying. Revocation checks follow revocationFailMode meanwhile.`);
  }

  /** Reports each recovery once. */
  private reportUp(): void {
    if (!this.down) return;
    this.down = false;
    this.adapterFailureReported = false;
    this.logger.info({ redis: this.where }, `sockjwt/redis: Redis at ${this.where} is back; checking live sockets for revocations missed meanwhile`);
  }
}

/** A socket.io `Server` (of either copy an app may hold), not an options object. */
function isServer(value: Server | RedisClusterOptions | undefined): value is Server {
  return typeof (value as Partial<Server> | undefined)?.of === 'function' && typeof (value as Partial<Server>).adapter === 'function';
}

function isSharded(choice: RedisClusterOptions['adapter']): choice is ShardedAdapterChoice {
  return typeof choice === 'object' && 'sharded' in choice && choice.sharded === true;
}

/** The client sockjwt makes (and so closes) when none is given. */
function ownClient(options: RedisClusterOptions): RedisCommandClient {
  // Broadcasts made while Redis is away wait for it, up to a bound; beyond, they are lost.
  if (options.clusterNodes !== undefined) {
    if (!Array.isArray(options.clusterNodes) || options.clusterNodes.length === 0) throw new TypeError('sockjwt/redis: "clusterNodes" must list at least one redis:// address');
    return createCluster({ rootNodes: options.clusterNodes.map((url) => ({ url })), defaults: { commandsQueueMaxLength: MAX_QUEUED_COMMANDS } }) as unknown as RedisCommandClient;
  }
  return createClient({
    url: options.url ?? process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    commandsQueueMaxLength: MAX_QUEUED_COMMANDS,
  }) as unknown as RedisCommandClient;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}
