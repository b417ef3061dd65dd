import { createAdapter, type RedisAdapterOptions } from '@socket.io/redis-adapter';
import { createClient, type RedisClientType } from 'redis';
import type { Server } from 'socket.io';
import { withHandledRejections } from './guarded-client.js';
import { RedisRevocationStore } from './redis-revocation-store.js';

/** Any pino-compatible logger; the default writes to the console. */
export interface RedisClusterLogger {
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyRedisClient = RedisClientType<any, any, any, any, any>;

export interface RedisClusterOptions {
  /** Where Redis is. Default `process.env.REDIS_URL`, else `redis://127.0.0.1:6379`. */
  url?: string;
  /**
   * Your own node-redis client instead of `url`. It is duplicated for the adapter's
   * subscriptions; sockjwt closes the duplicate, never your client.
   */
  client?: AnyRedisClient;
  /**
   * Installs `@socket.io/redis-adapter` on the server (options are passed through).
   * `false` when you bring another adapter, e.g. the Redis streams adapter: revocations
   * then travel through yours, as long as it supports `serverSideEmit`. Default `true`.
   */
  adapter?: boolean | Partial<RedisAdapterOptions>;
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
 */
export class RedisCluster {
  readonly revocationStore: RedisRevocationStore;
  /** Resolves once Redis has answered; never rejects, since Redis may come later. */
  readonly ready: Promise<void>;
  private readonly client: AnyRedisClient;
  private readonly subscriber: AnyRedisClient;
  private readonly ownsClient: boolean;
  private readonly logger: RedisClusterLogger;
  private readonly where: string;
  private down = false;
  private adapterFailureReported = false;

  constructor(io: Server, options: RedisClusterOptions = {}) {
    this.logger = options.logger ?? consoleLogger;
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? (createClient({
      url: options.url ?? process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
      // Broadcasts made while Redis is away wait for it, up to a bound; beyond, they are lost.
      commandsQueueMaxLength: MAX_QUEUED_COMMANDS,
    }) as AnyRedisClient);
    this.subscriber = this.client.duplicate();
    this.where = redactedAddress(this.client.options?.url);
    this.watch(this.client, 'commands');
    this.watch(this.subscriber, 'subscriptions');
    this.revocationStore = new RedisRevocationStore({
      client: this.client,
      io,
      keyPrefix: options.keyPrefix,
      retentionMs: options.retentionMs,
      commandTimeoutMs: options.commandTimeoutMs,
    });
    if (options.adapter !== false) this.installAdapter(io, options.adapter === true ? {} : options.adapter ?? {});
    this.ready = Promise.all([this.open(this.client, this.ownsClient), this.open(this.subscriber, true)]).then(() => {});
  }

  /** True while the command connection is up. */
  get connected(): boolean {
    return this.client.isReady;
  }

  /** Closes the connections sockjwt opened. Close the socket.io server first. */
  async close(): Promise<void> {
    this.revocationStore.close();
    await Promise.all([this.subscriber, ...(this.ownsClient ? [this.client] : [])].map(closeWithin(CLOSE_GRACE_MS)));
  }

  private installAdapter(io: Server, adapterOptions: Partial<RedisAdapterOptions>): void {
    const report = (error: unknown) => {
      if (this.adapterFailureReported) return; // once per outage, not once per broadcast
      this.adapterFailureReported = true;
      this.logger.warn({ err: error }, `sockjwt/redis: socket.io adapter commands are failing (${describe(error)}); broadcasts to other nodes are lost until Redis is back`);
    };
    io.adapter(createAdapter(withHandledRejections(this.client, report), withHandledRejections(this.subscriber, report), adapterOptions));
  }

  private open(client: AnyRedisClient, connect: boolean): Promise<void> {
    if (client.isReady) return Promise.resolve();
    const ready = new Promise<void>((resolve) => client.once('ready', () => resolve()));
    if (connect && !client.isOpen) client.connect().catch(() => {}); // retried by node-redis; failures reach 'error'
    return ready;
  }

  /** Reports each outage once and each recovery once, and asks for a recheck on recovery. */
  private watch(client: AnyRedisClient, role: string): void {
    client.on('error', (error: unknown) => {
      if (role !== 'commands' || this.down) return;
      this.down = true;
      this.logger.warn({ redis: this.where, err: error }, `sockjwt/redis: Redis at ${this.where} is unavailable (${describe(error)}); retrying. Revocation checks follow revocationFailMode meanwhile.`);
    });
    client.on('ready', () => {
      if (role === 'commands' && this.down) {
        this.down = false;
        this.adapterFailureReported = false;
        this.logger.info({ redis: this.where }, `sockjwt/redis: Redis at ${this.where} is back; checking live sockets for revocations missed meanwhile`);
      }
      // The store rechecks when its own connection returns; the adapter's may return later.
      if (role === 'subscriptions') this.revocationStore.announceMissedRules();
    });
  }
}

/**
 * A graceful QUIT, bounded: when Redis has just died and the client has not noticed yet, QUIT
 * waits for a reconnection that may never come, and shutdown must not hang on it.
 */
function closeWithin(graceMs: number) {
  return async (client: AnyRedisClient): Promise<void> => {
    if (!client.isOpen) return;
    if (!client.isReady) return client.destroy();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([client.close().catch(() => {}), grace]);
    clearTimeout(timer);
    if (client.isOpen) client.destroy();
  };
}

function redactedAddress(url: string | undefined): string {
  if (!url) return 'redis://127.0.0.1:6379';
  try {
    const parsed = new URL(url);
    parsed.password = '';
    parsed.username = '';
    return parsed.toString();
  } catch {
    return 'the configured address';
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}
