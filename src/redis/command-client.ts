/**
 * The Redis clients sockjwt accepts, behind the one shape its store needs. Each library
 * sends a raw command differently, and on a cluster the command must name the key that
 * routes it; telling them apart here keeps that out of the store.
 *
 * - node-redis (v4 or later) client: `sendCommand(args)`, `isReady`, a `ready` event.
 * - node-redis cluster (`createCluster`): `sendCommand(firstKey, isReadonly, args)`,
 *   `isReady`, a `connect` event once the slots are known, `node-ready` per node.
 * - ioredis `Redis` (also Sentinel-backed) and `Cluster`: `call(...args)`, `status`, a `ready` event.
 *
 * Types are structural so that neither library's types are needed to use the other.
 */
type Listener = (...args: unknown[]) => void;

interface Emitter {
  on(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
}

/** A node-redis client (`createClient`). */
export interface NodeRedisClientLike extends Emitter {
  readonly isReady: boolean;
  sendCommand<T = unknown>(args: string[]): Promise<T>;
}

/** A node-redis cluster client (`createCluster`). */
export interface NodeRedisClusterLike extends Emitter {
  readonly isReady: boolean;
  readonly nodeByAddress: unknown;
  sendCommand<T = unknown>(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): Promise<T>;
}

/** An ioredis client: `new Redis(…)` (also with `sentinels`) or `new Redis.Cluster(…)`. */
export interface IoredisLike extends Emitter {
  readonly status: string;
  call(command: string, ...args: string[]): Promise<unknown>;
}

/** Any client the store accepts. It is never closed by sockjwt. */
export type RedisCommandClient = NodeRedisClientLike | NodeRedisClusterLike | IoredisLike;

export type ClientKind = 'node-redis' | 'node-redis-cluster' | 'ioredis';

export interface CommandRunner {
  readonly kind: ClientKind;
  isReady(): boolean;
  /** Sends one command; `key` routes it on a cluster (every key of one command shares its slot). */
  send<T>(args: string[], key: string): Promise<T>;
  /** Calls `listener` whenever the client (or, on a cluster, one of its nodes) becomes ready again. */
  onReady(listener: () => void): () => void;
}

export function clientKind(client: unknown): ClientKind | undefined {
  if (typeof client !== 'object' || client === null) return undefined;
  const candidate = client as Record<string, unknown>;
  if (typeof candidate['call'] === 'function' && typeof candidate['status'] === 'string') return 'ioredis';
  if (typeof candidate['sendCommand'] !== 'function') return undefined;
  return 'nodeByAddress' in candidate ? 'node-redis-cluster' : 'node-redis';
}

/**
 * Makes sure an app's client will answer. A node-redis client or cluster never `connect()`ed (or
 * closed) sends nothing, so it is refused here; sockjwt does not connect it, since the app's own
 * `connect()` afterwards would throw ('Socket already opened'). An ioredis client made with
 * `lazyConnect` is started: ioredis connects such a client on its first command anyway.
 */
export function requireOpen(client: RedisCommandClient, option: string): void {
  const kind = clientKind(client);
  if (kind === 'ioredis') {
    const ioredis = client as IoredisLike & { connect(): Promise<unknown> };
    if (ioredis.status === 'end') throw new TypeError(`sockjwt/redis: "${option}" is an ioredis client that was closed (status "end")`);
    if (ioredis.status === 'wait') ioredis.connect().catch(() => {}); // lazyConnect; failures reach 'error', ioredis retries
    return;
  }
  if (kind !== undefined && (client as { isOpen?: boolean }).isOpen !== true) {
    throw new TypeError(`sockjwt/redis: "${option}" is a node-redis client that is not connected: call its connect() before handing it over (sockjwt never connects or closes a client it did not make)`);
  }
}

/** A Redis Cluster client: node-redis `createCluster`, or an ioredis `Cluster`. */
export function isClusterClient(client: RedisCommandClient): boolean {
  const kind = clientKind(client);
  return kind === 'node-redis-cluster' || (kind === 'ioredis' && (client as { startupNodes?: unknown }).startupNodes !== undefined);
}

/** An ioredis Cluster made without `shardedSubscribers`: its SSUBSCRIBE never reaches the shards. */
export function lacksShardedSubscribers(client: RedisCommandClient): boolean {
  return clientKind(client) === 'ioredis' && isClusterClient(client) && (client as { options?: { shardedSubscribers?: boolean } }).options?.shardedSubscribers !== true;
}

export function commandRunner(client: RedisCommandClient): CommandRunner {
  const kind = clientKind(client);
  if (kind === undefined) throw new TypeError('sockjwt/redis: "client" must be a node-redis client or cluster, or an ioredis client or cluster');
  const readyEvents = kind === 'node-redis-cluster' ? ['connect', 'node-ready'] : ['ready'];
  return {
    kind,
    isReady: () => (kind === 'ioredis' ? (client as IoredisLike).status === 'ready' : (client as NodeRedisClientLike).isReady),
    send: <T>(args: string[], key: string) => send<T>(client, kind, args, key),
    onReady(listener) {
      for (const event of readyEvents) client.on(event, listener);
      return () => {
        for (const event of readyEvents) client.off(event, listener);
      };
    },
  };
}

function send<T>(client: RedisCommandClient, kind: ClientKind, args: string[], key: string): Promise<T> {
  switch (kind) {
    case 'ioredis':
      return (client as IoredisLike).call(args[0]!, ...args.slice(1)) as Promise<T>;
    case 'node-redis-cluster':
      return (client as NodeRedisClusterLike).sendCommand<T>(key, false, args);
    default:
      return (client as NodeRedisClientLike).sendCommand<T>(args);
  }
}
