import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import { createClient } from 'redis';
import { plainRedis, type RedisProcess } from './redis-topologies.js';

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

/** A redis-server process owned by one test, on a free port, keeping nothing on disk (redis-topologies.ts). */
export type PrivateRedis = RedisProcess;

/** A test can kill and restart it without touching the shared one. */
export function privateRedis(t: TestContext, { started = true } = {}): Promise<PrivateRedis> {
  return plainRedis(t, { started });
}
