import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { SECRET } from '../support.js';

const NODE_SCRIPT = fileURLToPath(new URL('./node.ts', import.meta.url));
const PG_VERSION_HOOK = fileURLToPath(new URL('../pg-version-hook.mjs', import.meta.url));
const POSTGRES_NODE_SCRIPT = fileURLToPath(new URL('./postgres-node.ts', import.meta.url));

export interface ClusterNode {
  url: string;
  process: ChildProcess;
  /** Resolves once the node's Redis connections (or its PostgreSQL listener) are up. */
  redisReady: Promise<void>;
  call<T = unknown>(cmd: string, args?: object): Promise<T>;
  /** True while the process has neither exited nor been killed. */
  readonly alive: boolean;
}

export interface NodeOptions {
  /** A single Redis; or, instead, `clusterNodes` or `sentinels`. */
  redisUrl?: string;
  /** `redis://host:port` of Redis Cluster nodes: node-redis cluster client, sharded adapter. */
  clusterNodes?: string[];
  /** `host:port` of sentinels and the monitored name: an ioredis client on Sentinel. */
  sentinels?: { addresses: string[]; name: string };
  /** PostgreSQL instead of Redis (postgres-node.ts): `prefix` names the revocation table. */
  databaseUrl?: string;
  /** `ioredis`: the node brings its own ioredis client for `redisUrl`. */
  client?: 'node-redis' | 'ioredis';
  prefix: string;
  failMode?: 'closed' | 'open';
}

/** What startNode needs of a test: somewhere to register cleanup (a bench passes its own). */
export type Cleanup = Pick<TestContext, 'after'>;

/** Starts one node process; it is closed (or killed) when the test ends. */
export async function startNode(t: Cleanup, options: NodeOptions): Promise<ClusterNode> {
  const child = fork(options.databaseUrl ? POSTGRES_NODE_SCRIPT : NODE_SCRIPT, [], {
    // Under test/postgres-versions.test.ts, the nodes load the `pg` under test too.
    execArgv: ['--import', 'tsx', ...(process.env['SOCKJWT_TEST_PG'] ? ['--import', PG_VERSION_HOOK] : [])],
    env: {
      ...process.env,
      REDIS_URL: options.redisUrl ?? '',
      DATABASE_URL: options.databaseUrl ?? '',
      REDIS_CLUSTER_NODES: options.clusterNodes?.join(',') ?? '',
      REDIS_SENTINELS: options.sentinels?.addresses.join(',') ?? '',
      SENTINEL_NAME: options.sentinels?.name ?? '',
      REDIS_CLIENT: options.client ?? 'node-redis',
      SOCKJWT_PREFIX: options.prefix, FAIL_MODE: options.failMode ?? 'closed', JWT_SECRET: SECRET },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit');
  t.after(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  });
  let nextId = 0;
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let resolveRedisReady!: () => void;
  const redisReady = new Promise<void>((resolve) => (resolveRedisReady = resolve));
  const listening = new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`cluster node exited (${code}) before listening`)));
    child.on('message', (message: { type?: string; port?: number; id?: number; result?: unknown; error?: string }) => {
      if (message.type === 'listening') resolve(message.port!);
      else if (message.type === 'redis-ready') resolveRedisReady();
      else if (message.id !== undefined) {
        const call = pending.get(message.id);
        pending.delete(message.id);
        if (message.error !== undefined) call?.reject(new Error(message.error));
        else call?.resolve(message.result);
      }
    });
  });
  child.once('exit', () => {
    for (const call of pending.values()) call.reject(new Error('cluster node exited'));
    pending.clear();
  });
  const port = await listening;
  return {
    url: `http://127.0.0.1:${port}`,
    process: child,
    redisReady,
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    call<T>(cmd: string, args: object = {}) {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ id, cmd, ...args });
      });
    },
  };
}

/**
 * Waits until every node hears the others through the adapter. Subscriptions complete
 * inside node-redis with no event the adapter passes on, so this asks Redis how many
 * nodes listen, a few times a second.
 */
export async function untilMeshed(nodes: ClusterNode[], timeoutMs = 10_000): Promise<void> {
  await Promise.all(nodes.map((node) => node.redisReady));
  await until(async () => {
    const counts = await Promise.all(nodes.map((node) => node.call<number>('serverCount')));
    return counts.every((count) => count === nodes.length) || `nodes not meshed: ${counts.join(', ')}`;
  }, timeoutMs);
}

/** Polls `check` until it returns true; its last other answer explains a timeout. */
async function until(check: () => Promise<true | string>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await check();
    if (answer === true) return;
    if (Date.now() > deadline) throw new Error(`${answer} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface NodeState {
  sessions: number;
  redis: boolean;
  /** A PostgreSQL node's store listening. */
  postgres?: boolean;
  warnings: string[];
  /** The status of a node's own ioredis client, when it has one. */
  ownClient?: string;
}

/** Waits for a node's state to satisfy `ready` (connection changes have no IPC event). */
export async function untilState(node: ClusterNode, ready: (state: NodeState) => boolean, timeoutMs = 10_000): Promise<NodeState> {
  let state!: NodeState;
  await until(async () => ready((state = await node.call<NodeState>('state'))) || `node state not reached: ${JSON.stringify(state)}`, timeoutMs);
  return state;
}

/** Connects real clients (websocket, no reconnection) with a token; all disconnected when the test ends. */
export function clientsOf(t: TestContext) {
  const clients: ClientSocket[] = [];
  t.after(() => clients.forEach((client) => client.disconnect()));
  return (node: ClusterNode, token: string, extra: Record<string, unknown> = {}) => {
    const client = connectClient(node.url, { forceNew: true, reconnection: false, transports: ['websocket'], auth: { token }, ...extra });
    clients.push(client);
    return client;
  };
}
