import { clientKind, type ClientKind, type RedisCommandClient } from './command-client.js';

/**
 * The life of one Redis connection as `RedisCluster` needs it, whichever library made it:
 * open it, hear it fail and return, duplicate it for subscriptions, close it within a bound.
 */
export interface Connection {
  readonly kind: ClientKind;
  readonly client: RedisCommandClient;
  isReady(): boolean;
  /** Resolves once ready; starts connecting when `connect` and it has not started. */
  open(connect: boolean): Promise<void>;
  /** `down` on each failure report, `up` whenever it (or a cluster node) is ready again. */
  watch(down: (error: unknown) => void, up: () => void): void;
  duplicate(): Connection;
  /** A graceful close, bounded; destroyed past the bound. */
  close(graceMs: number): Promise<void>;
  /** Where it points, without credentials, for logs. */
  describe(): string;
}

type Listener = (...args: unknown[]) => void;
interface AnyClient {
  on(event: string, listener: Listener): unknown;
  once(event: string, listener: Listener): unknown;
  duplicate(): AnyClient;
  // node-redis
  isOpen?: boolean;
  isReady?: boolean;
  connect(): Promise<unknown>;
  close?(): Promise<unknown>;
  destroy?(): unknown;
  options?: { url?: string; rootNodes?: { url?: string }[] };
  // ioredis
  status?: string;
  quit?(): Promise<unknown>;
  disconnect?(): void;
  startupNodes?: unknown[];
}

export function connectionOf(client: RedisCommandClient): Connection {
  const kind = clientKind(client);
  if (kind === undefined) throw new TypeError('sockjwt/redis: "client" must be a node-redis client or cluster, or an ioredis client or cluster');
  return kind === 'ioredis' ? ioredisConnection(client) : nodeRedisConnection(client, kind);
}

function nodeRedisConnection(client: RedisCommandClient, kind: ClientKind): Connection {
  const raw = client as unknown as AnyClient;
  const readyEvent = kind === 'node-redis-cluster' ? 'connect' : 'ready';
  return {
    kind,
    client,
    isReady: () => raw.isReady === true,
    open(connect) {
      if (raw.isReady) return Promise.resolve();
      const ready = new Promise<void>((resolve) => raw.once(readyEvent, () => resolve()));
      if (connect && !raw.isOpen) raw.connect().catch(() => {}); // retried by node-redis; failures reach 'error'
      return ready;
    },
    watch(down, up) {
      raw.on('error', down);
      raw.on(readyEvent, up);
      if (kind === 'node-redis-cluster') {
        raw.on('node-error', down);
        raw.on('node-ready', up);
      }
    },
    duplicate: () => nodeRedisConnection(raw.duplicate() as unknown as RedisCommandClient, kind),
    async close(graceMs) {
      if (!raw.isOpen) return;
      // QUIT to a Redis that just died waits for a reconnection that may never come.
      if (!raw.isReady) return void raw.destroy?.();
      await bounded(raw.close!().catch(() => {}), graceMs);
      if (raw.isOpen) raw.destroy?.();
    },
    describe() {
      if (kind === 'node-redis-cluster') return `Redis Cluster (${(raw.options?.rootNodes ?? []).map((node) => redactedAddress(node.url)).join(', ')})`;
      return redactedAddress(raw.options?.url);
    },
  };
}

function ioredisConnection(client: RedisCommandClient): Connection {
  const raw = client as unknown as AnyClient;
  return {
    kind: 'ioredis',
    client,
    isReady: () => raw.status === 'ready',
    open(connect) {
      if (raw.status === 'ready') return Promise.resolve();
      const ready = new Promise<void>((resolve) => raw.once('ready', () => resolve()));
      if (connect && raw.status === 'wait') raw.connect().catch(() => {}); // lazyConnect; ioredis retries
      return ready;
    },
    watch(down, up) {
      raw.on('error', down);
      raw.on('close', () => down(new Error('connection closed')));
      raw.on('ready', up);
    },
    duplicate: () => ioredisConnection(raw.duplicate() as unknown as RedisCommandClient),
    async close(graceMs) {
      if (raw.status === 'end') return;
      if (raw.status !== 'ready') return raw.disconnect?.();
      await bounded(raw.quit!().catch(() => {}), graceMs);
      if ((raw.status as string) !== 'end') raw.disconnect?.();
    },
    describe: () => describeIoredis(raw),
  };
}

function describeIoredis(raw: AnyClient): string {
  if (raw.startupNodes) return 'Redis Cluster (ioredis)';
  const { sentinels, name, host, port } = (raw as { options?: { sentinels?: { host?: string; port?: number }[]; name?: string; host?: string; port?: number } }).options ?? {};
  if (sentinels?.length) return `the master "${name}" of the sentinels ${sentinels.map((s) => `${s.host ?? '127.0.0.1'}:${s.port ?? 26379}`).join(', ')}`;
  return `redis://${host ?? '127.0.0.1'}:${port ?? 6379} (ioredis)`;
}

async function bounded(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

export function redactedAddress(url: string | undefined): string {
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
