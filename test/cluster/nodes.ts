import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SECRET } from '../support.js';

const NODE_SCRIPT = fileURLToPath(new URL('./node.ts', import.meta.url));

export interface ClusterNode {
  url: string;
  process: ChildProcess;
  /** Resolves once the node's Redis connections are up. */
  redisReady: Promise<void>;
  call<T = unknown>(cmd: string, args?: object): Promise<T>;
  /** True while the process has neither exited nor been killed. */
  readonly alive: boolean;
}

export interface NodeOptions {
  redisUrl: string;
  prefix: string;
  failMode?: 'closed' | 'open';
}

/** Starts one node process; it is closed (or killed) when the test ends. */
export async function startNode(t: TestContext, options: NodeOptions): Promise<ClusterNode> {
  const child = fork(NODE_SCRIPT, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, REDIS_URL: options.redisUrl, SOCKJWT_PREFIX: options.prefix, FAIL_MODE: options.failMode ?? 'closed', JWT_SECRET: SECRET },
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
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await Promise.all(nodes.map((node) => node.call<number>('serverCount')));
    if (counts.every((count) => count === nodes.length)) return;
    if (Date.now() > deadline) throw new Error(`nodes not meshed after ${timeoutMs} ms: ${counts.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
