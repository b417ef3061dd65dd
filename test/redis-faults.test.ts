// Redis missing at start, killed mid-run, restarted, or cutting one node off: the nodes
// keep serving, revocation checks follow revocationFailMode, and service recovers alone.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { createClient } from 'redis';
import { clientsOf, startNode, untilMeshed, untilState } from './cluster/nodes.js';
import { privateRedis, uniquePrefix } from './redis-support.js';
import { connected, next, refusal, sign, type WireError } from './support.js';

describe('Redis faults', { timeout: 60_000 }, () => {
  test('Redis down at start: nodes serve, fail closed or open as configured, and recover when it starts', async (t) => {
    const redis = await privateRedis(t, { started: false });
    const prefix = uniquePrefix();
    const [closed, open] = await Promise.all([
      startNode(t, { redisUrl: redis.url, prefix, failMode: 'closed' }),
      startNode(t, { redisUrl: redis.url, prefix, failMode: 'open' }),
    ]);
    const connect = clientsOf(t);

    assert.equal((await refusal(connect(closed, sign({ sub: 'alice' })))).data.reason, 'revocation_unavailable');
    const admittedUnchecked = connect(open, sign({ sub: 'mallory' }));
    await connected(admittedUnchecked);
    const closedLog = (await closed.call<{ warnings: string[] }>('state')).warnings.join('\n');
    assert.match(closedLog, /SOCKJWT_REVOCATION_UNAVAILABLE: .*failing closed/);
    assert.match(closedLog, /Redis at redis:\/\/127\.0\.0\.1:\d+\/? is unavailable/);
    assert.match((await open.call<{ warnings: string[] }>('state')).warnings.join('\n'), /failing open/);

    await redis.start();
    await untilMeshed([closed, open]);
    await connected(connect(closed, sign({ sub: 'alice' })));
    const told = next<[WireError]>(admittedUnchecked, 'unauthorized');
    await closed.call('revoke', { rule: { sub: 'mallory' } });
    assert.equal((await told)[0].data.reason, 'revoked', 'the socket admitted unchecked is revocable once Redis is back');
    assert.match((await closed.call<{ warnings: string[] }>('state')).warnings.join('\n'), /SOCKJWT_REVOCATION_RESTORED/);
  });

  test('Redis killed mid-run: nothing crashes, connected sockets keep working, the policy holds, service recovers', async (t) => {
    const redis = await privateRedis(t);
    const prefix = uniquePrefix();
    const nodes = await Promise.all([0, 1].map(() => startNode(t, { redisUrl: redis.url, prefix })));
    const [a, b] = nodes as [typeof nodes[0], typeof nodes[0]];
    await untilMeshed(nodes);
    const connect = clientsOf(t);
    const onA = connect(a, sign({ sub: 'ann' }));
    const onB = connect(b, sign({ sub: 'bob' }));
    await Promise.all([connected(onA), connected(onB)]);

    await a.call('broadcast', { forMs: 1500 }); // publishes in flight when Redis dies, and after
    await redis.kill();
    await Promise.all(nodes.map((node) => untilState(node, (state) => !state.redis)));
    assert.equal((await onB.timeout(3000).emitWithAck('whoami')).data.decoded_token.sub, 'bob', 'open sockets keep being served');
    assert.equal((await refusal(connect(b, sign({ sub: 'carol' })))).data.reason, 'revocation_unavailable');
    const droppedLocally = next<[WireError]>(onA, 'unauthorized');
    await assert.rejects(a.call('revoke', { rule: { sub: 'ann' } }), /Redis/, 'a revocation that cannot be stored is reported');
    assert.equal((await droppedLocally)[0].data.reason, 'revoked', 'but the local socket is dropped first');

    await redis.start();
    await Promise.all(nodes.map((node) => untilState(node, (state) => state.redis)));
    await untilMeshed(nodes);
    await connected(connect(b, sign({ sub: 'carol' })));
    const told = next<[WireError]>(onB, 'unauthorized');
    await a.call('revoke', { rule: { sub: 'bob' } });
    assert.equal((await told)[0].data.reason, 'revoked', 'revocations cross nodes again');
    assert.ok(nodes.every((node) => node.alive), 'no node crashed');

    await a.call('broadcast', { forMs: 500 });
    await redis.kill();
    const exit = once(a.process, 'exit');
    await a.call('close'); // with broadcasts still queued for a Redis that is gone
    assert.deepEqual(await exit, [0, null], 'a node shuts down cleanly during an outage');
  });

  test('a revocation a node could not hear is applied when its Redis connection returns', async (t) => {
    const redis = await privateRedis(t);
    const prefix = uniquePrefix();
    const node = await startNode(t, { redisUrl: redis.url, prefix });
    await untilMeshed([node]);
    const connect = clientsOf(t);
    const sub = `user-${randomUUID()}`;
    const socket = connect(node, sign({ sub }));
    await connected(socket);

    const admin = createClient({ url: redis.url });
    admin.on('error', () => {});
    await admin.connect();
    t.after(() => admin.destroy());
    // Stored without any node hearing of it, as when a node is cut off from Redis while its
    // announcement is published: the rule's key alone, as the store lays it out.
    await admin.set(`{${prefix}}sub:${sub}`, String(Date.now()), { PX: 60_000 });
    assert.equal((await socket.timeout(3000).emitWithAck('whoami')).data.decoded_token.sub, sub, 'not heard yet');

    const told = next<[WireError]>(socket, 'unauthorized', 10_000);
    await admin.sendCommand(['CLIENT', 'KILL', 'SKIPME', 'yes']);
    assert.equal((await told)[0].data.reason, 'revoked');
  });
});
