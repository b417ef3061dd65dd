// A failover under Sentinel, for real: a master and a replica (both with AOF) and three
// sentinels started here; two node processes on ioredis clients that follow the sentinels.
// The master is killed; while no master answers the fail mode holds, live sockets stay, and
// once the replica is promoted revocations work again and an older one is still honoured.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { clientsOf, startNode, untilMeshed, untilState } from './cluster/nodes.js';
import { uniquePrefix } from './redis-support.js';
import { ask, sentinelTopology, until } from './redis-topologies.js';
import { connected, next, nowSeconds, refusal, sign, type WireError } from './support.js';

describe('Redis Sentinel', { timeout: 90_000 }, () => {
  test('the master is killed and the replica promoted: the fail mode holds meanwhile, revocations work after, an older one still holds', async (t) => {
    const topology = await sentinelTopology(t);
    const prefix = uniquePrefix();
    const sentinels = { addresses: topology.sentinels.map((s) => `127.0.0.1:${s.port}`), name: topology.name };
    const nodes = await Promise.all([0, 1].map(() => startNode(t, { sentinels, prefix, failMode: 'closed' })));
    await untilMeshed(nodes);
    const connect = clientsOf(t);

    // Before: a revoked token, replicated (WAIT) before the master dies.
    const jti = randomUUID();
    await nodes[0]!.call('revoke', { rule: { jti } });
    assert.equal(await ask<number>(topology.master.url, ['WAIT', '1', '5000']), 1, 'the replica has the rule');
    const alice = connect(nodes[1]!, sign({ sub: 'alice' }));
    const bob = connect(nodes[0]!, sign({ sub: 'bob' }));
    await Promise.all([connected(alice), connected(bob)]);

    // During: no master. Checks fail closed; live sockets keep their connection.
    const oldMaster = topology.master.port;
    const killedAt = Date.now();
    await topology.master.kill();
    await Promise.all(nodes.map((node) => untilState(node, (state) => !state.redis, 10_000)));
    assert.equal((await refusal(connect(nodes[0]!, sign({ sub: 'carol' })))).data.reason, 'revocation_unavailable');
    assert.equal(alice.connected && bob.connected, true, 'sockets already admitted stay connected');

    // After: the sentinels promote the replica and the clients follow them there.
    await until(async () => (await topology.masterPort()) !== oldMaster || 'no failover yet', 30_000, 200);
    assert.equal(await topology.masterPort(), topology.replica.port);
    for (const node of nodes) {
      const state = await untilState(node, (s) => s.redis, 20_000);
      assert.match(state.warnings.join('\n'), /is unavailable[\s\S]*is back/);
    }
    await untilMeshed(nodes, 20_000);
    t.diagnostic(`master killed → both nodes checking and meshed again: ${Date.now() - killedAt} ms (down-after-milliseconds 1000)`);

    for (const node of nodes) {
      assert.equal((await refusal(connect(node, sign({ sub: 'dave', jti })))).data.reason, 'revoked', 'the rule stored before the failover holds');
      await connected(connect(node, sign({ sub: 'erin' })));
    }
    const told = next<[WireError]>(alice, 'unauthorized', 5000);
    await nodes[0]!.call('revoke', { rule: { sub: 'alice' } });
    assert.equal((await told)[0].data.reason, 'revoked', 'a revocation on one node reaches the other after the failover');
    assert.equal((await refusal(connect(nodes[0]!, sign({ sub: 'alice', iat: nowSeconds() - 5 })))).data.reason, 'revoked');
    assert.equal(bob.connected, true);
  });
});
