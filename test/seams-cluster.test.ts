// What sockjwt puts in socket.data travels between nodes as the adapter encodes it. The
// Redis Streams adapter answers fetchSockets() with msgpack, whose decoder refuses a
// `__proto__` key and drops the whole answer: one such socket would make fetchSockets()
// time out on every other node. Two real nodes on a real Redis.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';
import { authorize } from '../src/index.js';
import { RedisRevocationStore } from '../src/redis/index.js';
import { connected, nowSeconds, refusal, SECRET, sign, signRaw, startServer } from './support.js';
import { sharedRedis, SHARED_REDIS_URL, uniquePrefix } from './redis-support.js';

/** A socket.io node on the Redis Streams adapter, with sockjwt in handshake mode. */
async function streamsNode(t: TestContext, streamName: string) {
  const redis = createClient({ url: SHARED_REDIS_URL });
  redis.on('error', () => {});
  await redis.connect();
  const node = await startServer(t, (io) => io.use(authorize({ secret: SECRET, handshake: true })), { adapter: createAdapter(redis, { streamName, channelPrefix: streamName }) });
  t.after(() => redis.quit().catch(() => {})); // after startServer's own: the server closes first
  return { io: node.io, connect: (token: string) => node.connect('/', { auth: { token } }) };
}

describe('claims shipped between nodes (Redis Streams adapter)', () => {
  it('#18 a token carrying __proto__ is refused, and fetchSockets() on the other node keeps working', async (t) => {
    const streamName = `sockjwt-test-${randomUUID()}`;
    const a = await streamsNode(t, streamName);
    const b = await streamsNode(t, streamName);
    const honest = a.connect(sign({ sub: 'honest', role: 'member' }));
    await connected(honest);
    const poisoned = a.connect(signRaw(`{"sub":"mallory","exp":${nowSeconds() + 60},"profile":{"__proto__":{"role":"admin"}}}`));
    assert.equal((await refusal(poisoned)).data.reason, 'claim_invalid');
    const remote = await b.io.timeout(3000).fetchSockets();
    assert.deepEqual(remote.map((socket) => (socket.data as { decoded_token: { sub: string; role: string } }).decoded_token.sub), ['honest']);
    assert.equal((remote[0]!.data as { decoded_token: { role: string } }).decoded_token.role, 'member');
  });
});

describe('revocation on the Redis store', () => {
  it('#5 revoke({ sub }) while the token is inside an async step wins with the async Redis store too', async (t) => {
    const keyPrefix = uniquePrefix();
    const client = await sharedRedis(t, keyPrefix);
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const auth = authorize({
      secret: SECRET,
      handshake: true,
      revocationStore: new RedisRevocationStore({ client, keyPrefix }),
      additional_auth: async () => {
        entered();
        await released;
        return true;
      },
    });
    const h = await startServer(t, (io) => io.use(auth));
    const attempt = refusal(h.connect('/', { auth: { token: sign({ sub: 'mallory' }) } }));
    await inside;
    assert.equal(await auth.revoke({ sub: 'mallory' }), 0);
    release();
    assert.equal((await attempt).data.reason, 'revoked');
  });
});
