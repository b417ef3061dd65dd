// sockjwt on a real 3-master Redis Cluster (started here with redis-cli --cluster create):
// the store with node-redis createCluster and with an ioredis Cluster, one command per
// check and no CROSSSLOT; then three node processes on the sharded adapter.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { Server } from 'socket.io';
import { RedisCluster, RedisRevocationStore } from '../src/redis/index.js';
import { clientsOf, startNode, untilMeshed } from './cluster/nodes.js';
import { uniquePrefix } from './redis-support.js';
import { ask, redisCluster, type RedisClusterTopology } from './redis-topologies.js';
import { connected, next, nowSeconds, refusal, sign, type WireError } from './support.js';

/** MGET calls served by the whole cluster so far (INFO commandstats of every master). */
async function mgetCalls(cluster: RedisClusterTopology): Promise<number> {
  const stats = await Promise.all(cluster.urls.map((url) => ask<string>(url, ['INFO', 'commandstats'])));
  return stats.reduce((sum, info) => sum + Number(/cmdstat_mget:calls=(\d+)/.exec(info)?.[1] ?? 0), 0);
}

/** What any store must answer, whatever client carries it. */
async function checkRules(store: RedisRevocationStore): Promise<void> {
  const jti = randomUUID();
  const sub = `user-${randomUUID()}`;
  await store.add({ jti, expiresAt: Date.now() + 30_000 });
  await store.add({ sub, issuedBefore: Date.now(), expiresAt: Date.now() + 30_000 });
  assert.equal(await store.isRevoked({ jti, sub: 'someone-else' }), true, 'the jti rule holds');
  assert.equal(await store.isRevoked({ jti: randomUUID(), sub, iat: nowSeconds() - 10 }), true, 'the subject rule holds');
  assert.equal(await store.isRevoked({ jti: randomUUID(), sub, iat: nowSeconds() + 10 }), false, 'a later token of the subject passes');
  assert.equal(await store.isRevoked({ jti: randomUUID(), sub: `user-${randomUUID()}` }), false);
}

describe('Redis Cluster (3 masters)', { timeout: 90_000 }, () => {
  test('the store works with node-redis createCluster and an ioredis Cluster; a check is one MGET, never CROSSSLOT', async (t: TestContext) => {
    const cluster = await redisCluster(t);
    const keyPrefix = uniquePrefix();

    const nodeRedis = createCluster({ rootNodes: [{ url: cluster.urls[0]! }] });
    nodeRedis.on('error', () => {});
    await nodeRedis.connect();
    t.after(() => nodeRedis.close());
    const viaNodeRedis = new RedisRevocationStore({ client: nodeRedis, keyPrefix });
    await checkRules(viaNodeRedis);

    // Keys that would land in different slots without the shared hash tag.
    const jtiKey = `{${keyPrefix}}jti:a`;
    const subKey = `{${keyPrefix}}sub:b`;
    const [jtiSlot, subSlot, bareJti, bareSub] = await Promise.all(
      [jtiKey, subKey, `${keyPrefix}jti:a`, `${keyPrefix}sub:b`].map((key) => ask<number>(cluster.urls[0]!, ['CLUSTER', 'KEYSLOT', key])),
    );
    assert.equal(jtiSlot, subSlot, 'one store, one slot');
    assert.notEqual(bareJti, bareSub, 'without the tag they would be split (CROSSSLOT)');

    const before = await mgetCalls(cluster);
    for (let i = 0; i < 20; i++) await viaNodeRedis.isRevoked({ jti: randomUUID(), sub: `user-${i}` });
    assert.equal((await mgetCalls(cluster)) - before, 20, 'one MGET per check, on one master');

    const ioredis = new Cluster([{ host: '127.0.0.1', port: cluster.masters[1]!.port }]);
    ioredis.on('error', () => {});
    t.after(() => ioredis.disconnect());
    await new Promise<void>((resolve) => ioredis.once('ready', () => resolve()));
    const viaIoredis = new RedisRevocationStore({ client: ioredis, keyPrefix });
    await checkRules(viaIoredis);
    assert.equal(await viaIoredis.isRevoked({ jti: randomUUID(), sub: 'x' }), false);
    viaIoredis.close();
    viaNodeRedis.close();
    assert.equal(ioredis.status, 'ready', 'closing the store leaves the application’s client open');
    assert.equal(nodeRedis.isReady, true);
  });

  for (const shards of ['Redis 7', 'no sharded pub/sub'] as const) {
    test(`revocation notices between stores on node-redis and ioredis clusters: ${shards === 'Redis 7' ? 'sharded pub/sub (SSUBSCRIBE), nothing classic' : 'classic pub/sub where the shards refuse SPUBLISH and SSUBSCRIBE'}`, async (t: TestContext) => {
      // Redis before 7 has neither command; renaming them away gives a Redis 7 the same answers.
      const cluster = await redisCluster(t, 3, shards === 'Redis 7' ? [] : ['--rename-command', 'SPUBLISH', '', '--rename-command', 'SSUBSCRIBE', '', '--rename-command', 'SUNSUBSCRIBE', '']);
      const keyPrefix = uniquePrefix();
      const nodeRedis = createCluster({ rootNodes: [{ url: cluster.urls[0]! }] });
      const nodeRedisNotices = nodeRedis.duplicate();
      const ioredis = new Cluster([{ host: '127.0.0.1', port: cluster.masters[1]!.port }], { shardedSubscribers: true });
      const ioredisNotices = ioredis.duplicate();
      for (const client of [nodeRedis, nodeRedisNotices, ioredis, ioredisNotices]) client.on('error', () => {});
      await Promise.all([nodeRedis.connect(), nodeRedisNotices.connect()]);
      t.after(async () => {
        for (const client of [ioredis, ioredisNotices]) client.disconnect();
        for (const client of [nodeRedis, nodeRedisNotices]) await client.close();
      });
      const stores = [
        new RedisRevocationStore({ client: nodeRedis, subscriber: nodeRedisNotices, keyPrefix }),
        new RedisRevocationStore({ client: ioredis, subscriber: ioredisNotices, keyPrefix }),
      ];
      await Promise.all(stores.map((store) => store.listening));
      const channel = `{${keyPrefix}}notices`;
      const sum = async (command: string) => {
        const answers = await Promise.all(cluster.urls.map((url) => ask<[string, number]>(url, ['PUBSUB', command, channel])));
        return answers.reduce((total, [, count]) => total + Number(count), 0);
      };
      assert.deepEqual({ sharded: await sum('SHARDNUMSUB'), classic: await sum('NUMSUB') }, shards === 'Redis 7' ? { sharded: 2, classic: 0 } : { sharded: 0, classic: 2 });
      for (const [from, to] of [[0, 1], [1, 0]] as const) {
        const jti = randomUUID();
        const heard = new Promise<string>((resolve) => stores[to]!.subscribe((rule) => 'jti' in rule && rule.jti === jti && resolve(rule.jti)));
        await stores[from]!.add({ jti, expiresAt: Date.now() + 30_000 });
        assert.equal(await heard, jti);
      }
      for (const store of stores) store.close();
    });
  }

  test('an ioredis Cluster without shardedSubscribers is refused as a subscriber, and by RedisCluster whatever the adapter', () => {
    const lacking = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    const node = createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:1' }] });
    node.on('error', () => {});
    node.connect().catch(() => {});
    assert.throws(() => new RedisRevocationStore({ client: node, subscriber: lacking }), /"subscriber" is an ioredis Cluster without its option `shardedSubscribers: true`/);
    assert.throws(() => new RedisCluster(new Server(), { client: lacking, adapter: false }), /shardedSubscribers: true/);
    lacking.disconnect();
    node.destroy();
  });

  test('three nodes on the sharded adapter (node-redis and ioredis clusters): cross-node revocation, fetchSockets() claims, expiry', async (t: TestContext) => {
    const cluster = await redisCluster(t);
    const prefix = uniquePrefix();
    // Two nodes on node-redis createCluster, one on an ioredis Cluster of its own.
    const nodes = await Promise.all((['node-redis', 'node-redis', 'ioredis'] as const).map((client) => startNode(t, { clusterNodes: [cluster.urls[0]!], client, prefix })));
    await untilMeshed(nodes);
    const connect = clientsOf(t);

    // A revocation on one node drops the subject's sockets on all three.
    const sub = `user-${randomUUID()}`;
    const sockets = nodes.map((node) => connect(node, sign({ sub, role: 'member' })));
    await Promise.all(sockets.map((socket) => connected(socket, 10_000)));
    const seen = await nodes[2]!.call<{ data: { decoded_token: { sub: string; role: string } } }[]>('fetchSockets');
    assert.deepEqual(seen.map((socket) => socket.data.decoded_token.sub), [sub, sub, sub], 'claims from every node');
    assert.equal(seen[0]!.data.decoded_token.role, 'member');
    const told = sockets.map((socket) => next<[WireError]>(socket, 'unauthorized', 5000));
    const { dropped } = await nodes[0]!.call<{ dropped: number }>('revoke', { rule: { sub } });
    assert.equal(dropped, 1);
    for (const [error] of await Promise.all(told)) assert.equal(error.data.reason, 'revoked');
    // …and the rule, stored in the cluster, refuses the token at every node's handshake.
    for (const node of nodes) assert.equal((await refusal(connect(node, sign({ sub, iat: nowSeconds() - 5 })))).data.reason, 'revoked');
    const reader = createCluster({ rootNodes: [{ url: cluster.urls[2]! }] });
    reader.on('error', () => {});
    await reader.connect();
    t.after(() => reader.close());
    assert.notEqual(await reader.get(`{${prefix}}sub:${sub}`), null, 'the rule lives in the Redis Cluster');
    const shardSubscribers = await Promise.all(cluster.urls.map((url) => ask<[string, number]>(url, ['PUBSUB', 'SHARDNUMSUB', `${prefix}socket.io#/#`])));
    assert.equal(shardSubscribers.reduce((sum, [, count]) => sum + Number(count), 0), 3, 'each node listens through SSUBSCRIBE (the sharded adapter)');

    // Expiry holds on a node of the cluster.
    const exp = nowSeconds() + 2;
    const expiring = connect(nodes[1]!, sign({ sub: `user-${randomUUID()}`, exp }));
    await connected(expiring);
    const [expired] = await next<[WireError]>(expiring, 'unauthorized', 5000);
    assert.equal(expired.data.reason, 'expired');
    assert.ok(Date.now() - exp * 1000 < 1000);
  });
});
