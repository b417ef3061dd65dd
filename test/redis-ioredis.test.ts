// ioredis wherever a node-redis client is accepted: the store on an ioredis client, and
// nodes whose RedisCluster is given the application's own ioredis client, which sockjwt
// must never close. Real Redis, real node processes.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { Server } from 'socket.io';
import { RedisCluster, RedisRevocationStore } from '../src/redis/index.js';
import { clientsOf, startNode, untilMeshed, untilState } from './cluster/nodes.js';
import { SHARED_REDIS_URL, sharedRedis, uniquePrefix } from './redis-support.js';
import { connected, next, nowSeconds, refusal, sign, type WireError } from './support.js';

describe('ioredis', { timeout: 60_000 }, () => {
  test('the store on an ioredis client: rules hold, TTL follows exp, the client stays open', async (t) => {
    const keyPrefix = uniquePrefix();
    await sharedRedis(t, `{${keyPrefix}}`); // deletes the test's keys after
    const client = new Redis(SHARED_REDIS_URL);
    t.after(() => client.disconnect());
    await new Promise<void>((resolve) => client.once('ready', () => resolve()));
    const store = new RedisRevocationStore({ client, keyPrefix });
    const jti = randomUUID();
    await store.add({ jti, expiresAt: Date.now() + 30_000 });
    await store.add({ sub: '42', issuedBefore: Date.now(), expiresAt: Date.now() + 30_000 });
    assert.equal(await store.isRevoked({ jti }), true);
    assert.equal(await store.isRevoked({ sub: '42', iat: nowSeconds() - 5 }), true);
    assert.equal(await store.isRevoked({ sub: '43', iat: nowSeconds() - 5 }), false);
    const ttl = await client.pttl(`{${keyPrefix}}jti:${jti}`);
    assert.ok(ttl > 28_000 && ttl <= 30_000, `TTL follows exp (${ttl} ms)`);
    store.close();
    assert.equal(client.status, 'ready');
  });

  test('an ioredis client still connecting: a check fails at once', async () => {
    const client = new Redis(SHARED_REDIS_URL, { lazyConnect: true });
    const store = new RedisRevocationStore({ client, keyPrefix: uniquePrefix() });
    await assert.rejects(store.isRevoked({ sub: 'erin' }), /not connected/);
    client.disconnect();
  });

  test('the sharded adapter on an ioredis Cluster without shardedSubscribers is refused at once, with the fix in the message', () => {
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    assert.throws(() => new RedisCluster(new Server(), { client: cluster, adapter: { sharded: true } }), /shardedSubscribers: true/);
    cluster.disconnect();
  });

  test('two nodes on their own ioredis clients: a revocation crosses, claims are fetched, the clients outlive RedisCluster.close()', async (t) => {
    const prefix = uniquePrefix();
    await sharedRedis(t, `{${prefix}}`);
    const nodes = await Promise.all([0, 1].map(() => startNode(t, { redisUrl: SHARED_REDIS_URL, client: 'ioredis', prefix })));
    await untilMeshed(nodes);
    const connect = clientsOf(t);
    const sub = `user-${randomUUID()}`;
    const remote = connect(nodes[1]!, sign({ sub, role: 'member' }));
    await connected(remote);
    const seen = await nodes[0]!.call<{ data: { decoded_token: { sub: string } } }[]>('fetchSockets');
    assert.deepEqual(seen.map((socket) => socket.data.decoded_token.sub), [sub]);
    const told = next<[WireError]>(remote, 'unauthorized');
    await nodes[0]!.call('revoke', { rule: { sub } });
    assert.equal((await told)[0].data.reason, 'revoked');
    assert.equal((await refusal(connect(nodes[1]!, sign({ sub, iat: nowSeconds() - 5 })))).data.reason, 'revoked');
    await untilState(nodes[0]!, (s) => s.redis);
    assert.deepEqual(await nodes[0]!.call('closeRedis'), { connected: true, ownClient: 'ready' }, 'sockjwt closed its duplicate, not the application’s client');
  });
});
