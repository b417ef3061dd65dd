// Three real server processes on one real PostgreSQL (of the test's own), with the PostgreSQL
// adapter: revocation, claims and expiry must hold whichever node a client is connected to.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { clientsOf, startNode, untilMeshed, type Cleanup, type ClusterNode } from './cluster/nodes.js';
import { privatePostgres } from './postgres-support.js';
import { connected, next, nowSeconds, refusal, sign, type WireError } from './support.js';

const cleanups: (() => unknown)[] = [];
const suite: Cleanup = { after: ((fn: () => unknown) => void cleanups.push(fn)) as Cleanup['after'] };
let nodes: ClusterNode[];

before(async () => {
  const server = await privatePostgres(suite);
  const prefix = `sockjwt_${randomUUID().replaceAll('-', '')}`;
  nodes = await Promise.all([0, 1, 2].map(() => startNode(suite, { databaseUrl: server.url, prefix })));
  await untilMeshed(nodes);
});
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

/** Waits for each client's drop and the reason it was told. */
function drops(clients: ReturnType<ReturnType<typeof clientsOf>>[]) {
  return Promise.all(clients.map(async (client) => {
    const told = next<[WireError]>(client, 'unauthorized', 5000);
    await next(client, 'disconnect', 5000);
    return (await told)[0].data.reason;
  }));
}

describe('cluster of three nodes on PostgreSQL', { timeout: 60_000 }, () => {
  test('a revoke by sub, then by jti, on one node drops the sockets on all three', async (t) => {
    const connect = clientsOf(t);
    const sub = `user-${randomUUID()}`;
    const bySub = nodes.map((node) => connect(node, sign({ sub })));
    await Promise.all(bySub.map((client) => connected(client, 10_000)));
    const subDrops = drops(bySub);
    const { dropped } = await nodes[1]!.call<{ dropped: number }>('revoke', { rule: { sub } });
    assert.equal(dropped, 1, 'the revoking node drops its own socket');
    assert.deepEqual(await subDrops, ['revoked', 'revoked', 'revoked']);

    const jti = randomUUID();
    const token = sign({ sub: `user-${randomUUID()}`, jti });
    const byJti = nodes.map((node) => connect(node, token));
    const bystander = connect(nodes[0]!, sign({ sub: `user-${randomUUID()}`, jti: randomUUID() }));
    await Promise.all([...byJti, bystander].map((client) => connected(client, 10_000)));
    const jtiDrops = drops(byJti);
    await nodes[2]!.call('revoke', { rule: { jti } });
    assert.deepEqual(await jtiDrops, ['revoked', 'revoked', 'revoked']);
    assert.equal((await bystander.timeout(3000).emitWithAck('whoami')).data.decoded_token.jti !== jti, true, 'another token lives on');
  });

  test('a revoked token is refused at the handshake on every node; another token of the user is not', async (t) => {
    const connect = clientsOf(t);
    const sub = `user-${randomUUID()}`;
    const jti = randomUUID();
    await nodes[0]!.call('revoke', { rule: { jti } });
    for (const node of nodes) {
      assert.equal((await refusal(connect(node, sign({ sub, jti })))).data.reason, 'revoked');
      await connected(connect(node, sign({ sub, jti: randomUUID() })));
    }
  });

  test('fetchSockets() on any node returns the claims of sockets on the others, never the raw token', async (t) => {
    const connect = clientsOf(t);
    const run = randomUUID();
    const tokens = {
      auth: sign({ sub: `by-auth-${run}`, role: 'admin' }),
      header: sign({ sub: `by-header-${run}`, role: 'user' }),
      query: sign({ sub: `by-query-${run}`, role: 'user' }),
    };
    await Promise.all([
      connected(connect(nodes[1]!, tokens.auth)),
      connected(connect(nodes[2]!, '', { auth: {}, extraHeaders: { Authorization: `Bearer ${tokens.header}` } })),
      connected(connect(nodes[2]!, '', { auth: {}, query: { token: tokens.query } })),
    ]);
    const seen = (await nodes[0]!.call<{ data: { decoded_token: { sub: string; role: string } } }[]>('fetchSockets')).filter((socket) => socket.data.decoded_token.sub.endsWith(run));
    assert.deepEqual(seen.map((socket) => socket.data.decoded_token.sub).sort(), [`by-auth-${run}`, `by-header-${run}`, `by-query-${run}`]);
    assert.equal(seen.find((socket) => socket.data.decoded_token.sub === `by-auth-${run}`)!.data.decoded_token.role, 'admin');
    const wire = JSON.stringify(seen);
    for (const token of Object.values(tokens)) assert.ok(!wire.includes(token.split('.')[2]!), 'no token signature crosses the cluster');
  });

  test('expiry holds on each node', async (t) => {
    const connect = clientsOf(t);
    const exp = nowSeconds() + 2;
    const clients = nodes.map((node) => connect(node, sign({ sub: `user-${randomUUID()}`, exp })));
    await Promise.all(clients.map((client) => connected(client)));
    assert.deepEqual(await drops(clients), ['expired', 'expired', 'expired']);
    const lateMs = Date.now() - exp * 1000;
    assert.ok(lateMs < 1500, `dropped ${lateMs} ms after exp`);
  });
});
