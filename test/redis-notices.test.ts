// A revocation is announced by Redis in the same script that stores it, so a node that dies
// between storing a rule and announcing it cannot take the announcement down with it: the
// live sockets on the other nodes are dropped all the same. Real Redis, a real node process.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { RedisRevocationStore } from '../src/redis/index.js';
import { clientsOf, startNode, untilMeshed } from './cluster/nodes.js';
import { SHARED_REDIS_URL, sharedRedis, uniquePrefix } from './redis-support.js';
import { connected, next, sign, type WireError } from './support.js';

describe('revocations announced by Redis', { timeout: 30_000 }, () => {
  test('a rule stored by a node that never announces it still drops the sockets of the others', async (t) => {
    const prefix = uniquePrefix();
    const client = await sharedRedis(t, `{${prefix}}`);
    const node = await startNode(t, { redisUrl: SHARED_REDIS_URL, prefix });
    await untilMeshed([node]);
    const sub = `user-${randomUUID()}`;
    const socket = clientsOf(t)(node, sign({ sub }));
    await connected(socket);
    const told = next<[WireError]>(socket, 'unauthorized', 5000);
    // A store with no socket.io server: like a node killed right after Redis answered, it
    // announces nothing itself.
    const dying = new RedisRevocationStore({ client, keyPrefix: prefix });
    await dying.add({ sub, issuedBefore: Date.now(), expiresAt: Date.now() + 60_000 });
    assert.equal((await told)[0].data.reason, 'revoked');
  });
});
