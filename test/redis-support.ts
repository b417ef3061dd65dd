import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { TestContext } from 'node:test';
import { createClient } from 'redis';

/** The Redis that `.ci/run` (scripts/pretest.mjs) makes sure is answering. */
export const SHARED_REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A key prefix of its own per test, so runs sharing one Redis never see each other's rules. */
export const uniquePrefix = (): string => `sockjwt-test:${randomUUID()}:`;

/**
 * Fails (never skips) when Redis is missing: these suites are the cluster's only proof.
 * Deletes the test's keys afterwards.
 */
export async function sharedRedis(t: TestContext, prefix: string) {
  const client = createClient({ url: SHARED_REDIS_URL, socket: { reconnectStrategy: false } });
  client.on('error', () => {});
  await client.connect().catch((cause: unknown) => {
    throw new Error(`Redis is required at ${SHARED_REDIS_URL} (npm test's pretest starts one): ${String(cause)}`);
  });
  t.after(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(keys);
    await client.close();
  });
  return client;
}

/** A free TCP port on 127.0.0.1, for a redis-server of the test's own. */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export interface PrivateRedis {
  url: string;
  /** SIGKILL, as a crash would. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. Resolves once it answers. */
  start(): Promise<void>;
}

/**
 * A redis-server process owned by one test, on a free port, keeping nothing on disk, so a
 * test can kill and restart it without touching the shared one.
 */
export async function privateRedis(t: TestContext, { started = true } = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const kill = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  };
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    child.on('error', () => {}); // a missing binary shows as the ping below failing
    await untilAnswering(url);
  };
  t.after(kill);
  if (started) await start();
  return { url, kill, start };
}

async function untilAnswering(url: string, timeoutMs = 5000): Promise<void> {
  const client = createClient({ url, socket: { reconnectStrategy: (retries) => (retries > 100 ? new Error('gave up') : 50), connectTimeout: timeoutMs } });
  client.on('error', () => {});
  const timer = setTimeout(() => client.destroy(), timeoutMs);
  try {
    await client.connect();
    await client.ping();
    await client.close();
  } catch (cause) {
    throw new Error(`redis-server did not answer at ${url} (is Debian's redis-server installed?): ${String(cause)}`);
  } finally {
    clearTimeout(timer);
  }
}
