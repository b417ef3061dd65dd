// PostgreSQL killed (SIGKILL) during traffic and restarted, or one node cut off: the nodes keep
// serving, checks follow revocationFailMode, rules survive, and a revocation a node could not
// hear reaches it when it returns. Real node processes on a PostgreSQL of the test's own.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { clientsOf, startNode, untilMeshed, untilState } from './cluster/nodes.js';
import { privatePostgres } from './postgres-support.js';
import { connected, next, refusal, sign, type WireError } from './support.js';

const tableName = () => `sockjwt_${randomUUID().replaceAll('-', '')}`;

describe('PostgreSQL faults', { timeout: 180_000 }, () => {
  test('SIGKILL during traffic, then a restart: nothing crashes, the fail mode holds, rules survive, service recovers', async (t) => {
    const server = await privatePostgres(t);
    const prefix = tableName();
    const [closed, open] = await Promise.all([
      startNode(t, { databaseUrl: server.url, prefix, failMode: 'closed' }),
      startNode(t, { databaseUrl: server.url, prefix, failMode: 'open' }),
    ]);
    const nodes = [closed, open];
    await untilMeshed(nodes);
    const connect = clientsOf(t);
    const revokedJti = randomUUID();
    await closed.call('revoke', { rule: { jti: revokedJti } });
    const onClosed = connect(closed, sign({ sub: 'ann' }));
    const onOpen = connect(open, sign({ sub: 'bob' }));
    await Promise.all([connected(onClosed), connected(onOpen)]);

    await closed.call('broadcast', { forMs: 1500 }); // adapter publishes in flight when PostgreSQL dies
    const handshakes = Array.from({ length: 20 }, (_, i) => connect(nodes[i % 2]!, sign({ sub: `load-${i}` })));
    await server.kill();
    await Promise.all(handshakes.map((client) => new Promise<void>((resolve) => (client.connected ? resolve() : client.once('connect', () => resolve()).once('connect_error', () => resolve())))));
    await Promise.all(nodes.map((node) => untilState(node, (state) => state.postgres === false)));

    assert.equal((await onOpen.timeout(3000).emitWithAck('whoami')).data.decoded_token.sub, 'bob', 'open sockets keep being served');
    assert.equal((await refusal(connect(closed, sign({ sub: 'carol' })))).data.reason, 'revocation_unavailable', 'fail closed');
    const admittedUnchecked = connect(open, sign({ sub: 'mallory' }));
    await connected(admittedUnchecked);
    const droppedLocally = next<[WireError]>(onClosed, 'unauthorized');
    await assert.rejects(closed.call('revoke', { rule: { sub: 'ann' } }), /PostgreSQL|connect|timeout|ECONNREFUSED/i, 'a revocation that cannot be stored is reported');
    assert.equal((await droppedLocally)[0].data.reason, 'revoked', 'but the local socket is dropped first');

    await server.start();
    await Promise.all(nodes.map((node) => untilState(node, (state) => state.postgres === true)));
    for (const node of nodes) {
      assert.equal((await refusal(connect(node, sign({ sub: 'dora', jti: revokedJti })))).data.reason, 'revoked', 'the rule stored before the crash survives it');
    }
    await connected(connect(closed, sign({ sub: 'carol' })));
    await untilMeshed(nodes);
    const told = next<[WireError]>(admittedUnchecked, 'unauthorized');
    await closed.call('revoke', { rule: { sub: 'mallory' } });
    assert.equal((await told)[0].data.reason, 'revoked', 'the socket admitted unchecked is revocable, across nodes, once PostgreSQL is back');
    assert.ok(nodes.every((node) => node.alive), 'no node crashed');

    const log = (await closed.call<{ warnings: string[] }>('state')).warnings;
    assert.equal(log.filter((line) => /PostgreSQL is unavailable/.test(line)).length, 1, `the outage logged once: ${log.join(' | ')}`);
    assert.equal(log.filter((line) => /listening for revocations again/.test(line)).length, 1, 'the recovery once');
    assert.equal(log.filter((line) => /SOCKJWT_REVOCATION_UNAVAILABLE: .*failing closed/.test(line)).length, 1);

    await server.kill();
    const exit = once(open.process, 'exit');
    await open.call('close');
    assert.deepEqual(await exit, [0, null], 'a node shuts down cleanly during an outage');
  });

  test('PostgreSQL down at start: nodes serve, fail closed or open as configured, and create the table and recover when it starts', async (t) => {
    const server = await privatePostgres(t, { started: false });
    const prefix = tableName();
    const [closed, open] = await Promise.all([
      startNode(t, { databaseUrl: server.url, prefix, failMode: 'closed' }),
      startNode(t, { databaseUrl: server.url, prefix, failMode: 'open' }),
    ]);
    const connect = clientsOf(t);
    assert.equal((await refusal(connect(closed, sign({ sub: 'alice' })))).data.reason, 'revocation_unavailable');
    const admittedUnchecked = connect(open, sign({ sub: 'mallory' }));
    await connected(admittedUnchecked);
    assert.match((await closed.call<{ warnings: string[] }>('state')).warnings.join('\n'), /PostgreSQL is unavailable/);

    await server.start();
    await untilMeshed([closed, open], 15_000);
    await connected(connect(closed, sign({ sub: 'alice' })));
    const told = next<[WireError]>(admittedUnchecked, 'unauthorized');
    await closed.call('revoke', { rule: { sub: 'mallory' } });
    assert.equal((await told)[0].data.reason, 'revoked', 'the socket admitted unchecked is revocable once PostgreSQL is there');
  });

  test('a revocation stored while a node was cut off reaches it when it returns', async (t) => {
    const server = await privatePostgres(t);
    const prefix = tableName();
    const node = await startNode(t, { databaseUrl: server.url, prefix });
    await untilMeshed([node]);
    const sub = `user-${randomUUID()}`;
    const socket = clientsOf(t)(node, sign({ sub }));
    await connected(socket);

    // Stored without any node hearing of it, as when one node is cut off while the others
    // announce: the row alone, as the store lays it out, and no NOTIFY.
    const digest = createHash('sha256').update(`sub:${sub}`).digest();
    await server.query(`INSERT INTO ${prefix} (digest, kind, id, issued_before_ms, expires_at_ms) VALUES ($1, 'sub', $2, $3, $4)`, [digest, Buffer.from(sub), Date.now(), Date.now() + 60_000]);
    assert.equal((await socket.timeout(3000).emitWithAck('whoami')).data.decoded_token.sub, sub, 'not heard yet');

    const told = next<[WireError]>(socket, 'unauthorized', 10_000);
    const cut = await server.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [`sockjwt-node-${node.process.pid}`]);
    assert.ok(cut.length >= 2, `the node's connections were cut (${cut.length})`);
    assert.equal((await told)[0].data.reason, 'revoked');
    assert.ok(node.alive);
  });
});
