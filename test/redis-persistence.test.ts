// Rules on a Redis that crashes and restarts: kept with AOF (appendonly yes), lost without it.
// Real redis-server processes of the test's own, killed with SIGKILL as a crash would.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import { createClient } from 'redis';
import { RedisRevocationStore } from '../src/redis/index.js';
import { privateRedis, uniquePrefix } from './redis-support.js';
import { aofRedis, type RedisProcess } from './redis-topologies.js';
import { nowSeconds } from './support.js';

/** A store on `redis`, its client reconnecting by itself, and a way to wait until it has. */
async function storeOn(t: TestContext, redis: Pick<RedisProcess, 'url'>) {
  const client = createClient({ url: redis.url, socket: { reconnectStrategy: 50 } });
  client.on('error', () => {});
  await client.connect();
  t.after(() => client.destroy());
  const store = new RedisRevocationStore({ client, keyPrefix: uniquePrefix() });
  const back = () => new Promise<void>((resolve) => (client.isReady ? resolve() : client.once('ready', () => resolve())));
  return { store, back, client };
}

async function crashWithRules(redis: Pick<RedisProcess, 'kill' | 'start'>, store: RedisRevocationStore, back: () => Promise<void>) {
  const jti = randomUUID();
  await store.add({ jti, expiresAt: Date.now() + 60_000 });
  await store.add({ sub: 'mallory', issuedBefore: Date.now(), expiresAt: Date.now() + 60_000 });
  await redis.kill();
  await redis.start();
  await back();
  return jti;
}

describe('persistence of revocations across a Redis crash', () => {
  test('with appendonly yes the rules survive a SIGKILL and restart', async (t) => {
    const redis = await aofRedis(t);
    const { store, back } = await storeOn(t, redis);
    const jti = await crashWithRules(redis, store, back);
    assert.equal(await store.isRevoked({ jti }), true, 'the jti rule is back');
    assert.equal(await store.isRevoked({ sub: 'mallory', iat: nowSeconds() - 5 }), true, 'the subject rule is back');
  });

  test('without persistence they are lost: what the README warns about', async (t) => {
    const redis = await privateRedis(t); // --save '' --appendonly no
    const { store, back } = await storeOn(t, redis);
    const jti = await crashWithRules(redis, store, back);
    assert.equal(await store.isRevoked({ jti }), false);
    assert.equal(await store.isRevoked({ sub: 'mallory', iat: nowSeconds() - 5 }), false);
  });
});
