// A RedisCluster built before its socket.io server (as a NestJS provider is, before the WebSocket
// adapter creates the server): its store answers at once, attach() installs the adapter, once.
// test/nest-redis-cluster.test.ts runs it across two Nest nodes. Real Redis.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { RedisAdapter } from '@socket.io/redis-adapter';
import { Server } from 'socket.io';
import { RedisCluster } from '../src/redis/index.js';
import { uniquePrefix } from './redis-support.js';
import { plainRedisForFile } from './redis-topologies.js';

const redis = plainRedisForFile(); // one redis-server for the file

describe('RedisCluster built before its server', { timeout: 30_000 }, () => {
  test('checks revocations before attach(), then attach() installs the Redis adapter; a second attach() is a TypeError', async (t) => {
    const cluster = new RedisCluster({ url: redis.url, keyPrefix: uniquePrefix() });
    const io = new Server();
    t.after(() => cluster.close()); // io has no engine to close: it never listened
    await cluster.ready;
    const jti = randomUUID();
    await cluster.revocationStore.add({ jti, expiresAt: Date.now() + 30_000 });
    assert.equal(await cluster.revocationStore.isRevoked({ jti }), true);

    assert.equal(io.of('/').adapter instanceof RedisAdapter, false);
    cluster.attach(io);
    assert.equal(io.of('/').adapter instanceof RedisAdapter, true, 'the main namespace moved to the Redis adapter');
    assert.equal(io.of('/later').adapter instanceof RedisAdapter, true, 'and namespaces made after it');
    assert.throws(() => cluster.attach(new Server()), { name: 'TypeError', message: /attached to a socket\.io server already/ });
  });

  test('a cluster built with its server refuses attach()', async (t) => {
    const io = new Server();
    const cluster = new RedisCluster(io, { url: redis.url, keyPrefix: uniquePrefix() });
    t.after(() => cluster.close()); // io has no engine to close: it never listened
    await cluster.ready;
    assert.equal(io.of('/').adapter instanceof RedisAdapter, true);
    assert.throws(() => cluster.attach(io), TypeError);
  });
});
