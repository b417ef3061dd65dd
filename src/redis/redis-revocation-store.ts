import type { Server } from 'socket.io';
import { within } from '../util/deadline.js';
import { DEFAULT_RETENTION_MS, isStoredRule, normalRef, normalRule, ruleCovers } from '../revocation/revocation.js';
import { commandRunner, isClusterClient, requireOpen, type CommandRunner, type RedisCommandClient } from './command-client.js';
import { hashTagged } from './key-layout.js';
import { listenForNotices, type NoticeChannel } from './notice-channel.js';
import type { RevocationStore, StoredRule, TokenQuery } from '../types.js';
import { Listeners } from '../util/listeners.js';

export interface RedisRevocationStoreOptions {
  /**
   * A node-redis client or cluster (`createClient`, `createCluster`), or an ioredis client or
   * cluster (`new Redis(…)`, also with `sentinels`; `new Redis.Cluster(…)`). A node-redis client
   * must be connected or connecting (`connect()` called), else the constructor throws a TypeError;
   * an ioredis client made with `lazyConnect` is connected by the store. The store never closes it.
   */
  client: RedisCommandClient;
  /**
   * The socket.io server whose adapter carries revocations to the other nodes
   * (`serverSideEmit`), so each drops its own live sockets. Without it, other nodes still
   * refuse the token at its next handshake but keep the sockets already open. A server made
   * after the store (as in NestJS, inside the WebSocket adapter) is given with `attach(io)`.
   */
  io?: Server;
  /**
   * Prefix of the store's keys, and the name that tells stores sharing a Redis apart. Default
   * `'sockjwt:revoked:'`. Keys are `{<keyPrefix>}jti:<id>` and `{<keyPrefix>}sub:<id>`: the
   * braces are a Redis Cluster hash tag, so every key of one store lives in one slot and a
   * check stays one command. A prefix that already holds a `{…}` tag is used as it is.
   */
  keyPrefix?: string;
  /** How long (ms) a rule given without `exp` is kept. Default 24 h. */
  retentionMs?: number;
  /** A check slower than this (ms) counts as unavailable. Default 1000. */
  commandTimeoutMs?: number;
  /**
   * A connection of the store's own to listen on (e.g. `client.duplicate()`, connected or
   * connecting, as for `client`; never closed by the store). With it, a revocation is announced by Redis itself,
   * in the same script that stores it: a node that dies right after storing a rule can no
   * longer take its announcement down with it. Without it, announcements go through `io`'s
   * adapter (`serverSideEmit`), sent by the revoking node after the rule is stored.
   */
  subscriber?: RedisCommandClient;
}

/** Event name of a revocation travelling between nodes through the socket.io adapter. */
export const REVOCATION_EVENT = 'sockjwt:revoked';

interface RevocationNotice {
  keyPrefix: string;
  rule: StoredRule;
}

/**
 * Keeps the later cut-off and the longer life of two rules for one key, atomically:
 * a revocation must never be weakened by another that arrives after it. Then announces it,
 * in the same step, so that a stored rule is always an announced one. On a Redis Cluster
 * (ARGV[5] = '1') by SPUBLISH, on the shard holding the key and the channel (one hash tag);
 * a shard without sharded pub/sub (Redis before 7) PUBLISHes, as its subscribers SUBSCRIBE.
 */
const KEEP_STRONGER_RULE = `
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
local value = math.max(current, tonumber(ARGV[1]))
local ttl = math.max(redis.call('PTTL', KEYS[1]), tonumber(ARGV[2]))
redis.call('SET', KEYS[1], tostring(value), 'PX', ttl)
local sent = ARGV[5] == '1' and redis.pcall('SPUBLISH', ARGV[3], ARGV[4])
if not sent or (type(sent) == 'table' and sent.err) then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return ttl`;

/**
 * Revocation rules in Redis, shared by every node: `jti` and `sub` rules are keys that
 * expire with the tokens they name (TTL), so the store never needs sweeping. A check is
 * one `MGET`, on a single Redis or a Redis Cluster alike (the keys share a hash tag). A
 * revocation is announced by Redis itself, in the script that stores it, when the store has a
 * `subscriber`; without one, through the socket.io adapter.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * import { RedisRevocationStore } from 'sockjwt/redis';
 * const client = await createClient({ url: process.env.REDIS_URL }).connect(); // yours: never closed by sockjwt
 * io.use(authorize({ secret, handshake: true, revocationStore: new RedisRevocationStore({ client, io }) }));
 * ```
 */
export class RedisRevocationStore implements RevocationStore {
  readonly retentionMs: number;
  private readonly client: CommandRunner;
  private io: Server | undefined;
  private readonly keyPrefix: string;
  private readonly keyBase: string;
  private readonly commandTimeoutMs: number;
  private readonly listeners = new Listeners<[StoredRule]>();
  private readonly missedListeners = new Listeners<[]>();
  private readonly onNotice = (notice: unknown) => this.hear(notice);
  private readonly stopWatchingReady: () => void;
  private readonly noticeChannel: string;
  /** On a Redis Cluster notices go by sharded pub/sub (notice-channel.ts says why). */
  private readonly sharded: boolean;
  private readonly notices: NoticeChannel | undefined;
  /** Resolves once the store listens for announcements (at once without a `subscriber`). */
  readonly listening: Promise<void>;

  constructor(options: RedisRevocationStoreOptions) {
    this.client = commandRunner(options?.client);
    this.keyPrefix = options.keyPrefix ?? 'sockjwt:revoked:';
    this.keyBase = hashTagged(this.keyPrefix);
    this.retentionMs = positive(options.retentionMs, 'retentionMs') ?? DEFAULT_RETENTION_MS;
    this.commandTimeoutMs = positive(options.commandTimeoutMs, 'commandTimeoutMs') ?? 1000;
    requireOpen(options.client, 'client');
    if (options.subscriber !== undefined) requireOpen(options.subscriber, 'subscriber');
    this.stopWatchingReady = this.client.onReady(() => this.announceMissedRules());
    this.noticeChannel = `${this.keyBase}notices`;
    this.sharded = isClusterClient(options.client);
    this.notices = options.subscriber === undefined ? undefined : listenForNotices(options.subscriber, this.noticeChannel, (message) => this.hear(parse(message)));
    this.notices?.onReady(() => this.announceMissedRules());
    this.listening = this.notices?.ready ?? Promise.resolve();
    if (options.io !== undefined) this.attach(options.io);
  }

  /**
   * The socket.io server whose adapter carries revocations (the `io` option), for a server made
   * after the store. Once: a store serves one server.
   *
   * @example
   * ```ts
   * const store = new RedisRevocationStore({ client, subscriber }); // before the server exists
   * const io = new Server(httpServer);
   * store.attach(io);
   * ```
   */
  attach(io: Server): void {
    if (this.io !== undefined) throw new TypeError('sockjwt/redis: this revocation store already has its socket.io server');
    this.io = io;
    io.on(REVOCATION_EVENT as 'connection', this.onNotice);
  }

  async add(given: StoredRule): Promise<void> {
    const now = Date.now();
    const rule = normalRule(given, now);
    const ttlMs = Math.ceil(rule.expiresAt - now);
    if (ttlMs <= 0) return;
    const [key, value] = 'jti' in rule ? [this.jtiKey(rule.jti), 0] : [this.subKey(rule.sub), rule.issuedBefore];
    const notice: RevocationNotice = { keyPrefix: this.keyPrefix, rule };
    await this.command(['EVAL', KEEP_STRONGER_RULE, '1', key, String(value), String(ttlMs), this.noticeChannel, JSON.stringify(notice), this.sharded ? '1' : '0'], key);
    this.notify(rule);
    // Other nodes hear it from Redis when they listen there; else from the revoking node, through the adapter.
    if (this.notices === undefined) this.io?.serverSideEmit(REVOCATION_EVENT, notice);
  }

  async isRevoked(query: TokenQuery): Promise<boolean> {
    // A number is the same identity as its decimal string (normalRef), never a silent false.
    const token = normalRef(query);
    const jti = typeof token.jti === 'string' ? token.jti : undefined;
    const sub = typeof token.sub === 'string' ? token.sub : undefined;
    if (jti === undefined && sub === undefined) return false;
    const jtiKey = this.jtiKey(jti ?? '');
    const [jtiRule, subRule] = await this.command<(string | null)[]>(['MGET', jtiKey, this.subKey(sub ?? '')], jtiKey);
    if (jti !== undefined && jtiRule != null) return true;
    if (sub === undefined || subRule == null) return false;
    return ruleCovers({ sub, issuedBefore: Number(subRule), expiresAt: Infinity }, token);
  }

  subscribe(listener: (rule: StoredRule) => void): () => void {
    return this.listeners.add(listener);
  }

  onMissedRules(listener: () => void): () => void {
    return this.missedListeners.add(listener);
  }

  /**
   * Tells subscribers that revocations may have been announced while this node could not
   * hear them (Redis or the adapter reconnected), so they check their live sockets again.
   */
  announceMissedRules(): void {
    this.missedListeners.emit();
  }

  /** Stops listening to the client and the adapter. The client stays open. */
  close(): void {
    this.stopWatchingReady();
    this.notices?.stop();
    this.io?.off(REVOCATION_EVENT as 'connection', this.onNotice);
  }

  private hear(notice: unknown): void {
    const { keyPrefix, rule } = (notice ?? {}) as Partial<RevocationNotice>;
    if (keyPrefix !== this.keyPrefix || !isStoredRule(rule)) return;
    this.notify(rule);
  }

  private notify(rule: StoredRule): void {
    this.listeners.emit(rule);
  }

  /** Refuses at once when Redis is not connected, instead of queueing until it returns. */
  private async command<T>(args: string[], key: string): Promise<T> {
    if (!this.client.isReady()) throw new Error('Redis is not connected');
    return within(this.client.send<T>(args, key), this.commandTimeoutMs, 'Redis');
  }

  private jtiKey(jti: string): string {
    return `${this.keyBase}jti:${jti}`;
  }

  private subKey(sub: string): string {
    return `${this.keyBase}sub:${sub}`;
  }
}

function parse(message: string): unknown {
  try {
    return JSON.parse(message);
  } catch {
    return undefined;
  }
}

function positive(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value > 0)) throw new RangeError(`sockjwt/redis: "${name}" must be a number greater than 0`);
  return value;
}
