import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { createClient } from 'redis';
import { RedisRevocationStore } from '../src/redis/index.js';
import { SockjwtModule, SockjwtService } from '../src/nest/index.js';
import { ChatGateway } from './nest/gateways.js';
import { RedisIoAdapter } from './nest/redis-io.adapter.js';
import { moduleOptions, nestApp, type NestHarness } from './nest/support.js';
import { uniquePrefix } from './redis-support.js';
import { plainRedisForFile } from './redis-topologies.js';
import { MODES, next, sign, type Mode, type WireError } from './support.js';

/**
 * Two Nest nodes on one Redis (a redis-server of this test's own): Nest's documented Redis
 * adapter for broadcasts, sockjwt/redis's RedisRevocationStore for revocations.
 */

async function node(t: TestContext, mode: Mode, url: string, keyPrefix: string): Promise<NestHarness> {
  const client = createClient({ url });
  const subscriber = client.duplicate();
  t.after(async () => {
    await Promise.all([client.close(), subscriber.close()]);
  });
  await Promise.all([client.connect(), subscriber.connect()]);
  return nestApp(t, mode, {
    sockjwt: SockjwtModule.forRootAsync({
      useFactory: () => ({ ...moduleOptions(mode), revocationStore: new RedisRevocationStore({ client, subscriber, keyPrefix }) }),
    }),
    adapter: async (app) => {
      const adapter = new RedisIoAdapter(app, url);
      await adapter.connectToRedis(); // as main.ts does, before app.listen()
      return adapter;
    },
  });
}

const redis = plainRedisForFile(); // one redis-server for the file

for (const mode of MODES) {
  describe(`sockjwt/nest on two nodes through Redis, ${mode} mode`, () => {
    it('a revoke() on one node drops the user on the other, and its gateway hears the disconnect', async (t) => {
      const keyPrefix = uniquePrefix(); // the two nodes of this test share their rules with no other test
      const a = await node(t, mode, redis.url, keyPrefix);
      const b = await node(t, mode, redis.url, keyPrefix);
      const alice = await b.login('/chat', sign({ sub: 'alice' }));
      const aliceId = alice.id;
      const bob = await b.login('/chat', sign({ sub: 'bob' }));
      const dropped = next<[WireError]>(alice, 'unauthorized', 5000);
      const heard = next<[{ namespace: string; socketId: string }]>(b.journal, 'disconnect', 5000);
      assert.equal(await a.app.get(ChatGateway).sockjwt.revoke({ sub: 'alice' }), 0, 'node A has no socket of alice');
      const [error] = await dropped;
      assert.equal(error.data.reason, 'revoked');
      const [entry] = await heard;
      assert.deepEqual([entry.namespace, entry.socketId], ['/chat', aliceId]);
      assert.equal(b.app.get(SockjwtService).sessionCount, 1);
      assert.equal(bob.connected, true);
    });
  });
}
