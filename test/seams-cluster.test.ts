// What sockjwt puts in socket.data travels between nodes as the adapter encodes it. The
// Redis Streams adapter answers fetchSockets() with msgpack, whose decoder refuses a
// `__proto__` key and drops the whole answer: one such socket would make fetchSockets()
// time out on every other node. Two real nodes on a real Redis.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, randomUUID } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';
import { Server } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { authorize } from '../src/index.js';
import { RedisRevocationStore } from '../src/redis/index.js';
import { connected, nowSeconds, refusal, SECRET, sign } from './support.js';
import { sharedRedis, SHARED_REDIS_URL, uniquePrefix } from './redis-support.js';
import { startServer } from './support.js';

function signRaw(payloadJson: string): string {
  const encode = (text: string) => Buffer.from(text).toString('base64url');
  const input = `${encode('{"alg":"HS256","typ":"JWT"}')}.${encode(payloadJson)}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}

async function streamsNode(t: TestContext, streamName: string) {
  const redis = createClient({ url: SHARED_REDIS_URL });
  redis.on('error', () => {});
  await redis.connect();
  const http = createServer();
  const io = new Server(http, { adapter: createAdapter(redis, { streamName, channelPrefix: streamName }) });
  io.use(authorize({ secret: SECRET, handshake: true }));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const clients: ClientSocket[] = [];
  t.after(async () => {
    for (const client of clients) client.disconnect();
    await io.close();
    await redis.quit().catch(() => {});
  });
  const connect = (token: string) => {
    const client = connectClient(url, { forceNew: true, reconnection: false, transports: ['websocket'], auth: { token } });
    clients.push(client);
    return client;
  };
  return { io, connect };
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
