import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { RedisCluster } from '../src/redis/index.js';
import { SockjwtModule } from '../src/nest/index.js';
import { ChatGateway, type TestClaims } from './nest/gateways.js';
import { RedisClusterIoAdapter } from './nest/redis-cluster-io.adapter.js';
import { RedisClusterModule } from './nest/redis-cluster.module.js';
import { moduleOptions, nestApp, revokeAliceFromA, twoNodesAliceAndBobOnB, type NestHarness } from './nest/support.js';
import { plainRedisForFile, until } from './redis-topologies.js';
import { MODES, next, type Mode } from './support.js';

/**
 * Two Nest nodes on one Redis (a redis-server of this test's own), each with a `RedisCluster`
 * from sockjwt/redis: it is the socket.io adapter (broadcasts, fetchSockets) and the revocation
 * store. The cluster is a provider, built before the server; the adapter attaches it to the server.
 */

async function node(t: TestContext, mode: Mode, url: string, keyPrefix: string): Promise<NestHarness> {
  return nestApp(t, mode, {
    sockjwt: SockjwtModule.forRootAsync({
      imports: [RedisClusterModule.forRoot({ url, keyPrefix })],
      inject: [RedisCluster],
      useFactory: (cluster: RedisCluster) => ({ ...moduleOptions(mode), revocationStore: cluster.revocationStore }),
    }),
    adapter: async (app) => new RedisClusterIoAdapter(app, app.get(RedisCluster)),
  });
}

const redis = plainRedisForFile(); // one redis-server for the file

for (const mode of MODES) {
  describe(`sockjwt/nest with RedisCluster on two nodes, ${mode} mode`, () => {
    it('node A sees and reaches node B\'s sockets, and its revoke() drops the user there', async (t) => {
      const nodes = await twoNodesAliceAndBobOnB((keyPrefix) => node(t, mode, redis.url, keyPrefix));
      const { a, bob } = nodes;
      const chatOnA = a.app.get(ChatGateway);

      // B subscribes during its listen(), with no event when Redis has the subscription: wait until A's adapter counts both nodes.
      await until(async () => ((await chatOnA.server.adapter.serverCount()) === 2 ? true : 'node A does not count node B yet'), 10_000, 20);
      // fetchSockets() on A answers with B's sockets and their claims: the adapter is RedisCluster's.
      const remote = await chatOnA.server.fetchSockets();
      assert.deepEqual(remote.map((socket) => (socket.data as { decoded_token: TestClaims }).decoded_token.sub).sort(), ['alice', 'bob']);

      const news = next<[string]>(bob, 'news', 5000);
      chatOnA.server.emit('news', 'from A');
      assert.deepEqual(await news, ['from A']);

      await revokeAliceFromA(nodes);
      assert.deepEqual((await chatOnA.server.fetchSockets()).map((socket) => socket.id), [bob.id], 'A sees alice gone from B');
    });
  });
}
