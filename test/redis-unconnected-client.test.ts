// An app's own Redis client that is not connected, given to RedisCluster or RedisRevocationStore:
// a node-redis client (which sends nothing until connect()) is refused at construction, with
// the fix in the message; an ioredis client made with lazyConnect is connected, as its first
// command would. Real Redis.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster } from 'redis';
import { Server } from 'socket.io';
import { RedisCluster, RedisRevocationStore } from '../src/redis/index.js';
import { sharedRedis, SHARED_REDIS_URL, uniquePrefix } from './redis-support.js';

const NOT_CONNECTED = /"client" is a node-redis client that is not connected: call its connect\(\)/;

describe('an unconnected client', { timeout: 30_000 }, () => {
  test('node-redis createClient() without connect() is refused by RedisCluster and RedisRevocationStore', () => {
    const client = createClient({ url: SHARED_REDIS_URL });
    assert.throws(() => new RedisCluster(new Server(), { client }), NOT_CONNECTED);
    assert.throws(() => new RedisRevocationStore({ client, keyPrefix: uniquePrefix() }), NOT_CONNECTED);
    assert.equal(client.isOpen, false, 'sockjwt left the client alone');
  });

  test('node-redis createCluster() without connect() is refused likewise', () => {
    const cluster = createCluster({ rootNodes: [{ url: SHARED_REDIS_URL }] });
    assert.throws(() => new RedisCluster(new Server(), { client: cluster }), NOT_CONNECTED);
    assert.throws(() => new RedisRevocationStore({ client: cluster }), NOT_CONNECTED);
  });

  test('a node-redis client closed by the app, and an unconnected subscriber, are refused', async (t) => {
    const keyPrefix = uniquePrefix();
    const open = await sharedRedis(t, `{${keyPrefix}}`);
    const closed = await createClient({ url: SHARED_REDIS_URL }).connect();
    await closed.close();
    assert.throws(() => new RedisRevocationStore({ client: closed, keyPrefix }), NOT_CONNECTED);
    assert.throws(() => new RedisRevocationStore({ client: open, keyPrefix, subscriber: open.duplicate() }), /"subscriber" is a node-redis client that is not connected/);
  });

  test('node-redis connecting (connect() called, not awaited) is accepted', async (t) => {
    const keyPrefix = uniquePrefix();
    await sharedRedis(t, `{${keyPrefix}}`);
    const client = createClient({ url: SHARED_REDIS_URL });
    const connecting = client.connect();
    t.after(() => client.close());
    const store = new RedisRevocationStore({ client, keyPrefix });
    await connecting;
    const jti = randomUUID();
    await store.add({ jti, expiresAt: Date.now() + 30_000 });
    assert.equal(await store.isRevoked({ jti }), true);
    store.close();
  });

  test('ioredis with lazyConnect is connected by RedisRevocationStore: rules are stored and found', async (t) => {
    const keyPrefix = uniquePrefix();
    await sharedRedis(t, `{${keyPrefix}}`);
    const client = new Redis(SHARED_REDIS_URL, { lazyConnect: true });
    t.after(() => client.disconnect());
    const store = new RedisRevocationStore({ client, keyPrefix });
    assert.notEqual(client.status, 'wait', 'the store started the connection');
    await new Promise<void>((resolve) => client.once('ready', () => resolve()));
    const jti = randomUUID();
    await store.add({ jti, expiresAt: Date.now() + 30_000 });
    assert.equal(await store.isRevoked({ jti }), true);
    store.close();
  });

  test('ioredis with lazyConnect is connected by RedisCluster: ready resolves and the client outlives close()', async (t) => {
    const keyPrefix = uniquePrefix();
    await sharedRedis(t, `{${keyPrefix}}`);
    const client = new Redis(SHARED_REDIS_URL, { lazyConnect: true });
    t.after(() => client.disconnect());
    const io = new Server();
    const cluster = new RedisCluster(io, { client, keyPrefix });
    await cluster.ready;
    const jti = randomUUID();
    await cluster.revocationStore.add({ jti, expiresAt: Date.now() + 30_000 });
    assert.equal(await cluster.revocationStore.isRevoked({ jti }), true);
    await cluster.close();
    assert.equal(client.status, 'ready');
  });

  test('an ioredis client the app closed is refused', () => {
    const client = new Redis(SHARED_REDIS_URL, { lazyConnect: true });
    client.disconnect();
    assert.equal(client.status, 'end');
    assert.throws(() => new RedisRevocationStore({ client }), /"client" is an ioredis client that was closed/);
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true, shardedSubscribers: true });
    cluster.disconnect();
    assert.throws(() => new RedisCluster(new Server(), { client: cluster }), /"client" is an ioredis client that was closed/);
  });
});
