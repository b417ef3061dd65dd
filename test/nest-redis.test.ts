import 'reflect-metadata';
import { describe, it, type TestContext } from 'node:test';
import { createClient } from 'redis';
import { RedisRevocationStore } from '../src/redis/index.js';
import { SockjwtModule } from '../src/nest/index.js';
import { RedisIoAdapter } from './nest/redis-io.adapter.js';
import { moduleOptions, nestApp, revokeAliceFromA, twoNodesAliceAndBobOnB, type NestHarness } from './nest/support.js';
import { plainRedisForFile } from './redis-topologies.js';
import { MODES, type Mode } from './support.js';

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
      await revokeAliceFromA(await twoNodesAliceAndBobOnB((keyPrefix) => node(t, mode, redis.url, keyPrefix)));
    });
  });
}
