// What sockjwt puts in socket.data travels between nodes as the adapter encodes it. The
// Redis Streams adapter answers fetchSockets() with msgpack, whose decoder refuses a
// `__proto__` key and drops the whole answer: one such socket would make fetchSockets()
// time out on every other node. Two real nodes on a real Redis.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';
import { authorize, type HandshakeOptions, type JwtClaims } from '../src/index.js';
import { RedisRevocationStore } from '../src/redis/index.js';
import { connected, next, nowSeconds, refusal, SECRET, sign, signRaw, startServer, type WireError } from './support.js';
import { sharedRedis, SHARED_REDIS_URL, uniquePrefix } from './redis-support.js';

/** A socket.io node on the Redis Streams adapter, with sockjwt (handshake mode unless told). */
async function streamsNode(t: TestContext, streamName: string, options: { handshake?: boolean; required?: boolean } = {}) {
  const redis = createClient({ url: SHARED_REDIS_URL });
  redis.on('error', () => {});
  await redis.connect();
  const handshake = options.handshake ?? true;
  const auth = authorize({ secret: SECRET, handshake, required: options.required ?? true } as never);
  const node = await startServer(t, (io) => (handshake ? io.use(auth as never) : io.on('connection', auth as never)), { adapter: createAdapter(redis, { streamName, channelPrefix: streamName }) });
  t.after(() => redis.quit().catch(() => {})); // after startServer's own: the server closes first
  return { io: node.io, url: node.url, connect: (token: string) => node.connect('/', { auth: { token } }), connectWith: node.connect };
}

/**
 * Resolves once `io`'s adapter counts two nodes. A node on the Streams adapter learns of the
 * others from their heartbeats, read from Redis a round trip after it starts; until then its
 * fetchSockets() asks nobody else and answers with its own sockets only.
 */
async function hearEachOther(io: { of(name: string): { adapter: { serverCount(): Promise<number> } } }): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await io.of('/').adapter.serverCount()) < 2) {
    if (Date.now() > deadline) throw new Error('the two nodes never heard each other through the Streams adapter');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A handshake whose query has an own `key`, which the real client cannot send (it copies the
 * query with Object.assign, where `__proto__` sets the prototype): raw engine.io polling frames.
 * Resolves with the socket.io packets received until a refusal (`44…` or `42["unauthorized"…`).
 */
async function rawConnectWithQueryKey(url: string, key: string): Promise<string[]> {
  const signal = () => AbortSignal.timeout(3000);
  const open = await (await fetch(`${url}/socket.io/?EIO=4&transport=polling&${key}=x`, { signal: signal() })).text();
  const { sid } = JSON.parse(open.slice(1)) as { sid: string };
  const session = `${url}/socket.io/?EIO=4&transport=polling&sid=${sid}`;
  assert.equal(await (await fetch(session, { method: 'POST', body: '40', signal: signal() })).text(), 'ok');
  const packets: string[] = [];
  for (let polls = 0; polls < 3 && !packets.some((packet) => /^44|^42\["unauthorized"/.test(packet)); polls++) {
    packets.push(...(await (await fetch(session, { signal: signal() })).text()).split('\x1e'));
  }
  return packets;
}

/** The `data` of the refusal among raw packets: `connect_error` (handshake mode) or `unauthorized` (message mode). */
function refusalData(packets: string[]): WireError['data'] | undefined {
  for (const packet of packets) {
    if (packet.startsWith('44')) return (JSON.parse(packet.slice(2)) as WireError).data;
    if (packet.startsWith('42')) return (JSON.parse(packet.slice(2)) as [string, WireError])[1].data;
  }
  return undefined;
}

/** An object with an own, enumerable `key` (an object literal's `__proto__:` would set the prototype instead). */
function withOwnKey(base: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  return Object.defineProperty({ ...base }, key, { value, enumerable: true, writable: true, configurable: true });
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

describe('the handshake shipped between nodes (Redis Streams adapter)', () => {
  // socket.io ships socket.handshake (auth, query) in fetchSockets() answers, whatever sockjwt decides.
  const cases = [
    { mode: 'handshake', required: true, where: 'auth', key: '__proto__' },
    { mode: 'handshake', required: false, where: 'query', key: '__proto__' },
    { mode: 'message', required: true, where: 'query', key: '__proto__' },
    { mode: 'message', required: false, where: 'auth', key: 'constructor' },
  ] as const;
  for (const { mode, required, where, key } of cases) {
    it(`#18 ${mode} mode, required: ${required}: a "${key}" key in handshake.${where} is refused (malformed), and fetchSockets() on the other node keeps working`, async (t) => {
      const streamName = `sockjwt-test-${randomUUID()}`;
      const a = await streamsNode(t, streamName, { handshake: mode === 'handshake', required });
      const b = await streamsNode(t, streamName, { handshake: mode === 'handshake', required });
      await hearEachOther(b.io);
      const token = sign({ sub: 'honest' });
      const honest = a.connect(token);
      await connected(honest);
      if (mode === 'message') assert.equal(((await honest.timeout(3000).emitWithAck('authenticate', { token })) as { ok: boolean }).ok, true);
      if (where === 'query') {
        assert.equal(refusalData(await rawConnectWithQueryKey(a.url, key))?.reason, 'malformed');
      } else {
        // With a token where one is required, without one otherwise: required: false admits anonymous sockets.
        const auth = mode === 'handshake' && required ? { token: sign({ sub: 'mallory' }) } : {};
        const poisoned = a.connectWith('/', { auth: withOwnKey(auth, 'profile', withOwnKey({}, key, { role: 'admin' })) });
        if (mode === 'handshake') assert.equal((await refusal(poisoned)).data.reason, 'malformed');
        else assert.equal((await next<[WireError]>(poisoned, 'unauthorized'))[0].data.reason, 'malformed');
      }
      const remote = await b.io.timeout(3000).fetchSockets();
      assert.deepEqual(remote.map((socket) => socket.id), [honest.id]);
    });
  }
});

/**
 * A node (handshake mode) whose revocations live in Redis and are announced by Redis itself
 * (a subscriber connection): two such nodes share rules without a socket.io adapter.
 */
async function redisStoreNode(t: TestContext, keyPrefix: string, options: Partial<HandshakeOptions> = {}) {
  const client = await sharedRedis(t, `{${keyPrefix}}`);
  const subscriber = client.duplicate();
  subscriber.on('error', () => {});
  await subscriber.connect();
  const store = new RedisRevocationStore({ client, keyPrefix, subscriber });
  await store.listening;
  t.after(async () => {
    store.close();
    await subscriber.close().catch(() => {});
  });
  const auth = authorize({ secret: SECRET, handshake: true, revocationStore: store, ...options });
  const node = await startServer(t, (io) => io.use(auth));
  /** Resolves once this node has heard a rule (its registry, subscribed first, has by then). */
  const nextRuleHeard = () => new Promise<void>((resolve) => {
    const stop = store.subscribe(() => {
      stop();
      resolve();
    });
  });
  return { ...node, auth, nextRuleHeard, login: async (token: string) => {
    const client = node.connect('/', { auth: { token } });
    await connected(client);
    return client;
  } };
}

/** A hook that waits, when `when` says so, on a promise the test opens. */
function gatedHook(when: (claims: JwtClaims) => boolean) {
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => (entered = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const additional_auth = async (claims: JwtClaims) => {
    if (when(claims)) {
      entered();
      await released;
    }
    return true;
  };
  return { additional_auth, inside, release };
}

describe('revocations between two nodes on the Redis store', () => {
  it('#6 numeric sub and jti: revoked on one node as numbers or strings, dropped and refused on the other', async (t) => {
    const keyPrefix = uniquePrefix();
    const a = await redisStoreNode(t, keyPrefix);
    const b = await redisStoreNode(t, keyPrefix);
    const subToken = sign({ sub: 42 as unknown as string });
    const bySub = await b.login(subToken);
    const byJti = await b.login(sign({ sub: 'u-7', jti: 7 as unknown as string }));
    const subDropped = next<[WireError]>(bySub, 'unauthorized', 4000);
    await a.auth.revoke({ sub: 42 });
    assert.equal((await subDropped)[0].data.reason, 'revoked');
    const jtiDropped = next<[WireError]>(byJti, 'unauthorized', 4000);
    await a.auth.revoke({ jti: '7' });
    assert.equal((await jtiDropped)[0].data.reason, 'revoked');
    assert.equal((await refusal(b.connect('/', { auth: { token: subToken } }))).data.reason, 'revoked');
    assert.equal(b.auth.sessionCount, 0);
  });

  it('#5 a rule heard from the other node (Redis notice) while a token is being verified wins, at connect', async (t) => {
    const keyPrefix = uniquePrefix();
    const hook = gatedHook((claims) => claims.sub === 'mallory');
    const a = await redisStoreNode(t, keyPrefix, { additional_auth: hook.additional_auth });
    const b = await redisStoreNode(t, keyPrefix);
    const attempt = refusal(a.connect('/', { auth: { token: sign({ sub: 'mallory' }) } }));
    await hook.inside;
    const heard = a.nextRuleHeard();
    assert.equal(await b.auth.revoke({ sub: 'mallory' }), 0);
    await heard;
    hook.release();
    assert.equal((await attempt).data.reason, 'revoked');
    assert.equal(a.auth.sessionCount, 0);
  });

  it('#5 a rule heard from the other node while a refresh is being verified wins: the refresh is refused, the old token stays', async (t) => {
    const keyPrefix = uniquePrefix();
    const hook = gatedHook((claims) => claims['v'] === 2);
    const a = await redisStoreNode(t, keyPrefix, { additional_auth: hook.additional_auth });
    const b = await redisStoreNode(t, keyPrefix);
    const client = await a.login(sign({ sub: 'u-1', jti: 'old', v: 1 }));
    const answer = client.timeout(4000).emitWithAck('authenticate', { token: sign({ sub: 'u-1', jti: 'new', v: 2 }) }) as Promise<{ ok: boolean; data?: WireError['data'] }>;
    await hook.inside;
    const heard = a.nextRuleHeard();
    assert.equal(await b.auth.revoke({ jti: 'new' }), 0);
    await heard;
    hook.release();
    const ack = await answer;
    assert.equal(ack.ok, false);
    assert.equal(ack.data?.reason, 'revoked');
    const [server] = await a.io.fetchSockets();
    assert.equal((server!.data as { decoded_token: { jti: string } }).decoded_token.jti, 'old');
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
