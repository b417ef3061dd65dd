// Three real server processes on one real Redis: revocation, claims, expiry and refresh
// must hold whichever node a client is connected to.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import { clientsOf, startNode, untilMeshed, type ClusterNode } from './cluster/nodes.js';
import { SHARED_REDIS_URL, sharedRedis, uniquePrefix } from './redis-support.js';
import { connected, next, nowSeconds, refusal, sign, type WireError } from './support.js';

async function startCluster(t: TestContext, size = 3): Promise<ClusterNode[]> {
  const prefix = uniquePrefix();
  await sharedRedis(t, prefix);
  const nodes = await Promise.all(Array.from({ length: size }, () => startNode(t, { redisUrl: SHARED_REDIS_URL, prefix })));
  await untilMeshed(nodes);
  return nodes;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

describe('cluster of three nodes on Redis', { timeout: 60_000 }, () => {
  test('a revoke on one node drops the subject on all three, within a bounded time', async (t) => {
    const nodes = await startCluster(t);
    const connect = clientsOf(t);
    const trials = 30;
    const users = Array.from({ length: trials }, (_, i) => `user-${i}-${randomUUID()}`);
    const sockets = users.map((sub) => nodes.map((node) => connect(node, sign({ sub }))));
    await Promise.all(sockets.flat().map((client) => connected(client, 10_000)));

    const local: number[] = [];
    const remote: number[] = [];
    for (const [trial, sub] of users.entries()) {
      const revoker = trial % nodes.length;
      const drops = sockets[trial]!.map(async (client) => {
        const reasons: string[] = [];
        client.on('unauthorized', (error: WireError) => reasons.push(error.data.reason));
        await next(client, 'disconnect', 5000);
        return { at: performance.timeOrigin + performance.now(), reasons };
      });
      const { startedAt, dropped } = await nodes[revoker]!.call<{ startedAt: number; dropped: number }>('revoke', { rule: { sub } });
      assert.equal(dropped, 1, 'the revoking node drops its own socket');
      for (const [index, drop] of (await Promise.all(drops)).entries()) {
        assert.deepEqual(drop.reasons, ['revoked'], 'told why before being disconnected');
        (index === revoker ? local : remote).push(drop.at - startedAt);
      }
    }
    remote.sort((a, b) => a - b);
    local.sort((a, b) => a - b);
    t.diagnostic(`revoke → disconnect over ${trials} trials: remote p50 ${percentile(remote, 50).toFixed(1)} ms, p99 ${percentile(remote, 99).toFixed(1)} ms (n=${remote.length}); local p50 ${percentile(local, 50).toFixed(1)} ms`);
    assert.equal(remote.length, trials * 2);
    assert.ok(percentile(remote, 100) < 2000, `every remote socket dropped within 2 s (slowest ${percentile(remote, 100).toFixed(0)} ms)`);
    for (const node of nodes) assert.equal((await node.call<{ sessions: number }>('state')).sessions, 0);
  });

  test('a revoked token is refused at the handshake on every node; another token of the user is not', async (t) => {
    const nodes = await startCluster(t);
    const connect = clientsOf(t);
    const sub = `user-${randomUUID()}`;
    const revokedToken = sign({ sub, jti: randomUUID() });
    await nodes[0]!.call('revoke', { rule: { jti: JSON.parse(Buffer.from(revokedToken.split('.')[1]!, 'base64url').toString()).jti } });
    for (const node of nodes) {
      const error = await refusal(connect(node, revokedToken));
      assert.equal(error.data.reason, 'revoked');
      await connected(connect(node, sign({ sub, jti: randomUUID() })));
    }
  });

  test('fetchSockets() on any node returns the claims of sockets on the others, never the raw token', async (t) => {
    const nodes = await startCluster(t);
    const connect = clientsOf(t);
    const tokens = {
      auth: sign({ sub: 'by-auth', role: 'admin' }),
      header: sign({ sub: 'by-header', role: 'user' }),
      query: sign({ sub: 'by-query', role: 'user' }),
    };
    await Promise.all([
      connected(connect(nodes[1]!, tokens.auth)),
      connected(connect(nodes[2]!, '', { auth: {}, extraHeaders: { Authorization: `Bearer ${tokens.header}` } })),
      connected(connect(nodes[2]!, '', { auth: {}, query: { token: tokens.query } })),
    ]);
    const seen = await nodes[0]!.call<{ data: { decoded_token: { sub: string; role: string } } }[]>('fetchSockets');
    assert.deepEqual(seen.map((socket) => socket.data.decoded_token.sub).sort(), ['by-auth', 'by-header', 'by-query']);
    assert.equal(seen.find((socket) => socket.data.decoded_token.sub === 'by-auth')!.data.decoded_token.role, 'admin');
    const wire = JSON.stringify(seen);
    for (const token of Object.values(tokens)) {
      const signature = token.split('.')[2]!;
      assert.ok(!wire.includes(signature), `no token signature crosses the cluster: ${wire.slice(Math.max(0, wire.indexOf(signature) - 300), wire.indexOf(signature) + 20)}`);
    }
  });

  test('expiry and in-band refresh hold on whichever node the client is on', async (t) => {
    const nodes = await startCluster(t);
    const connect = clientsOf(t);
    const sub = `user-${randomUUID()}`;
    const exp = nowSeconds() + 2;
    const refreshed = connect(nodes[1]!, sign({ sub, exp }));
    const expiring = connect(nodes[2]!, sign({ sub, exp }));
    await Promise.all([connected(refreshed), connected(expiring)]);

    // Listening for both at once: `unauthorized` and the disconnect can arrive in one read.
    const disconnected = next(expiring, 'disconnect', 8000);
    const ack = await refreshed.timeout(3000).emitWithAck('authenticate', { token: sign({ sub, exp: nowSeconds() + 60 }) });
    assert.equal(ack.ok, true);
    const [expired] = await next<[WireError]>(expiring, 'unauthorized', 5000);
    assert.equal(expired.data.reason, 'expired');
    await disconnected;
    const lateMs = Date.now() - exp * 1000;
    assert.ok(lateMs < 1000, `dropped ${lateMs} ms after exp`);
    assert.equal(refreshed.connected, true, 'the refreshed socket outlives its first token');
    const [who] = await Promise.all([refreshed.timeout(3000).emitWithAck('whoami')]);
    assert.equal(who.data.decoded_token.exp > exp, true);
  });
});
