// The Redis Streams adapter (@socket.io/redis-streams-adapter) with sockjwt/redis: revocations
// travel through it (serverSideEmit), and connection state recovery works across nodes,
// since it keeps sessions in Redis: a client cut from node A resumes on node B. The recovery
// guard must hold there too: a session revoked while disconnected is not restored on B.
// Two real socket.io servers, a real Redis, the real client.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';
import type { Server, Socket } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import { authorize, type ConnectionListener, type HandshakeMiddleware } from '../src/index.js';
import { RedisCluster, RedisRevocationStore } from '../src/redis/index.js';
import { sharedRedis, SHARED_REDIS_URL, uniquePrefix } from './redis-support.js';
import { connected, next, refusal, SECRET, sign, startServer, type WireError } from './support.js';

const RECOVERY = { connectionStateRecovery: { maxDisconnectionDuration: 30_000, skipMiddlewares: true } };

/**
 * A node: streams adapter, handshake mode, and RedisCluster for the store only (`adapter: false`),
 * or (`viaAdapter`) a bare RedisRevocationStore whose announcements travel through the adapter.
 */
async function streamsNode(t: TestContext, names: { stream: string; keys: string }, viaAdapter = false, mode: 'handshake' | 'message' = 'handshake', watchAtStartup = true) {
  const redis = createClient({ url: SHARED_REDIS_URL });
  redis.on('error', () => {});
  await redis.connect();
  const adapter = createAdapter(redis, { streamName: names.stream, channelPrefix: names.stream, sessionKeyPrefix: `${names.keys}session:` });
  let cluster!: RedisCluster;
  let auth!: HandshakeMiddleware | ConnectionListener;
  const node = await startServer(
    t,
    (io: Server) => {
      cluster = new RedisCluster(io, { client: redis, adapter: false, keyPrefix: names.keys });
      const revocationStore = viaAdapter ? new RedisRevocationStore({ client: redis, io, keyPrefix: names.keys }) : cluster.revocationStore;
      if (mode === 'handshake') {
        auth = authorize({ secret: SECRET, handshake: true, revocationStore });
        io.use(auth);
      } else {
        const listener = authorize({ secret: SECRET, revocationStore });
        io.on('connection', listener);
        auth = listener;
      }
      if (watchAtStartup) auth.watch(io); // sessions outlive this node: guard recovery before the first connection here
    },
    { adapter, ...RECOVERY },
  );
  t.after(async () => {
    // after startServer's own hook: the server closes first, then Redis
    await cluster.close();
    await redis.close().catch(() => {});
  });
  await cluster.ready;
  return { ...node, auth };
}

/** Process warnings with `code`, from now until the test ends. */
function warningsCoded(t: TestContext, code: string): Error[] {
  const seen: Error[] = [];
  const listener = (warning: Error & { code?: string }) => warning.code === code && seen.push(warning);
  process.on('warning', listener);
  t.after(() => process.off('warning', listener));
  return seen;
}

async function twoNodes(t: TestContext, viaAdapter = false, mode: 'handshake' | 'message' = 'handshake') {
  const names = { stream: `sockjwt-test-${randomUUID()}`, keys: uniquePrefix() };
  await sharedRedis(t, `{${names.keys}}`);
  const redis = await sharedRedis(t, names.stream);
  const a = await streamsNode(t, names, viaAdapter, mode);
  const b = await streamsNode(t, names, viaAdapter, mode);
  return { a, b, redis };
}

/** Gives the client a recovery offset (a broadcast through the stream), then cuts its transport. */
async function cutTransport(io: Server, client: ClientSocket): Promise<{ pid: string; offset: string }> {
  const hello = next(client, 'hello');
  io.emit('hello');
  await hello;
  const { _pid: pid, _lastOffset: offset } = client as unknown as { _pid: string; _lastOffset: string };
  assert.ok(pid && offset, 'the server offered recovery');
  const serverSide = io.of('/').sockets.get(client.id!)!;
  const goneOnServer = next(serverSide, 'disconnect');
  client.io.engine.close();
  assert.equal((await goneOnServer)[0], 'transport close', 'a transport close: the session is kept for recovery');
  return { pid, offset };
}

/** Message mode: a client authenticates on `node`, its transport is cut, and `sub` is revoked while it is away. */
async function authenticatedThenRevokedAway(node: Awaited<ReturnType<typeof streamsNode>>, token: string, sub: string): Promise<{ pid: string; offset: string }> {
  const client = node.connect('/', {});
  await connected(client);
  assert.equal((await client.timeout(3000).emitWithAck('authenticate', { token })).ok, true);
  const session = await cutTransport(node.io, client);
  await node.auth.revoke({ sub });
  return session;
}

/** The same client identity (pid, offset) reconnecting, but to another node. */
function resumeOn(node: { connect: (nsp: string, options: object) => ClientSocket }, session: { pid: string; offset: string }, token: string): ClientSocket {
  const client = node.connect('/', { autoConnect: false, auth: { token } });
  Object.assign(client, { _pid: session.pid, _lastOffset: session.offset });
  return client.connect();
}

describe('Redis Streams adapter', { timeout: 60_000 }, () => {
  for (const mode of ['handshake', 'message'] as const) {
    test(`${mode} mode: a node that did not call auth.watch() at startup says so at its first connection; a watched one stays quiet`, async (t) => {
      const names = { stream: `sockjwt-test-${randomUUID()}`, keys: uniquePrefix() };
      await sharedRedis(t, `{${names.keys}}`);
      await sharedRedis(t, names.stream);
      const unwatchedWarnings = warningsCoded(t, 'SOCKJWT_RECOVERY_UNWATCHED');
      const watched = await streamsNode(t, names, false, mode, true);
      const unwatched = await streamsNode(t, names, false, mode, false);
      const token = sign({ sub: 'dee' });
      const options = mode === 'handshake' ? { auth: { token } } : {};
      await connected(watched.connect('/', options));
      // process.emitWarning delivers on the next tick, long before a connection's round trip ends.
      assert.equal(unwatchedWarnings.length, 0, 'auth.watch(io) at startup: nothing to say');
      await connected(unwatched.connect('/', options));
      await connected(unwatched.connect('/', options));
      assert.equal(unwatchedWarnings.length, 1, 'said once for the namespace');
      assert.match(unwatchedWarnings[0]!.message, /auth\.watch\(io\)/);
    });
  }

  for (const viaAdapter of [false, true]) {
    test(`a revocation on one node drops the socket on the other (${viaAdapter ? 'announced through the adapter: serverSideEmit' : 'announced by Redis: RedisCluster'})`, async (t) => {
      const { a, b } = await twoNodes(t, viaAdapter);
      const sub = `user-${randomUUID()}`;
      const remote = b.connect('/', { auth: { token: sign({ sub }) } });
      await connected(remote);
      const told = next<[WireError]>(remote, 'unauthorized');
      await a.auth.revoke({ sub });
      assert.equal((await told)[0].data.reason, 'revoked');
    });
  }

  test('a session cut on node A resumes on node B, its claims intact', async (t) => {
    const { a, b } = await twoNodes(t);
    const token = sign({ sub: 'ann', role: 'member' });
    const client = a.connect('/', { auth: { token } });
    await connected(client);
    const session = await cutTransport(a.io, client);
    const resumed = resumeOn(b, session, token);
    await connected(resumed);
    assert.equal(resumed.recovered, true, 'recovered across nodes');
    const [onB] = await b.io.in(resumed.id!).fetchSockets();
    assert.equal((onB!.data as { decoded_token: { role: string } }).decoded_token.role, 'member');
    const told = next<[WireError]>(resumed, 'unauthorized');
    await a.auth.revoke({ sub: 'ann' });
    assert.equal((await told)[0].data.reason, 'revoked', 'node B holds the resumed session live: revocable from node A');
  });

  test('a session revoked while disconnected is not restored on the other node, and its token is refused there', async (t) => {
    const { a, b } = await twoNodes(t);
    const token = sign({ sub: 'bob' });
    const client = a.connect('/', { auth: { token } });
    await connected(client);
    const session = await cutTransport(a.io, client);
    await a.auth.revoke({ sub: 'bob' });
    const resumed = resumeOn(b, session, token);
    assert.equal((await refusal(resumed)).data.reason, 'revoked');
    assert.equal(resumed.recovered, false);
  });

  test('message mode, a node that did not call auth.watch(): a session recovered there before its first handshake is held again, not trusted', async (t) => {
    const names = { stream: `sockjwt-test-${randomUUID()}`, keys: uniquePrefix() };
    await sharedRedis(t, `{${names.keys}}`);
    await sharedRedis(t, names.stream);
    warningsCoded(t, 'SOCKJWT_RECOVERY_UNWATCHED'); // said, and expected: kept off the test's output
    const a = await streamsNode(t, names, false, 'message', true);
    const b = await streamsNode(t, names, false, 'message', false);
    a.io.on('authenticated', (socket: Socket) => void socket.join('user:eve'));
    const token = sign({ sub: 'eve' });
    const session = await authenticatedThenRevokedAway(a, token, 'eve');
    const resumed = resumeOn(b, session, token);
    await connected(resumed);
    // Unwatched, node B cannot stop socket.io restoring it; sockjwt then starts it held, its claims forgotten.
    assert.equal(resumed.recovered, true);
    const onB = b.io.of('/').sockets.get(resumed.id!)!;
    assert.equal((onB.data as { decoded_token?: unknown }).decoded_token, undefined);
    assert.equal(b.auth.sessionCount, 0, 'not live');
    // Whoever authenticates next does not inherit eve's restored rooms.
    assert.equal((await resumed.timeout(3000).emitWithAck('authenticate', { token: sign({ sub: 'mallory' }) })).ok, true);
    assert.deepEqual([...onB.rooms], [onB.id]);
  });

  test('message mode: a session revoked while disconnected is not restored on the other node either', async (t) => {
    const { a, b } = await twoNodes(t, false, 'message');
    const token = sign({ sub: 'cat' });
    const session = await authenticatedThenRevokedAway(a, token, 'cat');
    const resumed = resumeOn(b, session, token);
    await connected(resumed);
    assert.equal(resumed.recovered, false, 'a normal, held connection instead');
  });
});
