import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryRevocationStore } from '../src/index.js';
import { MAX_RULE_LIFETIME_MS, storedRule } from '../src/revocation/revocation.js';
import type { StoredRule } from '../src/types.js';

function clock(start = 1_800_000_000_000) {
  const time = { now: start };
  return { time, now: () => time.now };
}

describe('MemoryRevocationStore', () => {
  it('empty: true until a rule is kept, false while one is, true again once the last one is forgotten', () => {
    const { time, now } = clock();
    const store = new MemoryRevocationStore({ now });
    assert.equal(store.empty, true);
    store.add(storedRule({ jti: 'old', exp: time.now / 1000 - 1 }, store.retentionMs, time.now));
    assert.equal(store.empty, true, 'a rule already past its end is not kept');
    store.add(storedRule({ jti: 'a', exp: time.now / 1000 + 60 }, store.retentionMs, time.now));
    store.add(storedRule({ sub: 'ann', exp: time.now / 1000 + 120 }, store.retentionMs, time.now));
    assert.equal(store.empty, false);
    time.now += 61_000;
    assert.equal(store.isRevoked({ jti: 'a' }), false);
    assert.equal(store.empty, false, 'the subject rule is still held');
    time.now += 60_000;
    assert.equal(store.isRevoked({ sub: 'ann', iat: 0 }), false);
    assert.equal(store.empty, true);
  });

  it('revokes by jti until the token would have expired, then forgets', () => {
    const { time, now } = clock();
    const store = new MemoryRevocationStore({ now });
    store.add(storedRule({ jti: 'a', exp: time.now / 1000 + 60 }, store.retentionMs, time.now));
    assert.equal(store.isRevoked({ jti: 'a' }), true);
    assert.equal(store.isRevoked({ jti: 'b' }), false);
    time.now += 61_000;
    assert.equal(store.isRevoked({ jti: 'a' }), false);
    assert.equal(store.size, 0);
  });

  it('revokes by subject the tokens issued before the cut-off, including the same second', () => {
    const { time, now } = clock(1_800_000_000_500);
    const store = new MemoryRevocationStore({ now });
    store.add(storedRule({ sub: 'ann' }, store.retentionMs, time.now));
    const second = Math.floor(time.now / 1000);
    assert.equal(store.isRevoked({ sub: 'ann', iat: second - 1 }), true);
    assert.equal(store.isRevoked({ sub: 'ann', iat: second }), true, 'same second counts as before (fail closed)');
    assert.equal(store.isRevoked({ sub: 'ann', iat: second + 1 }), false);
    assert.equal(store.isRevoked({ sub: 'ann' }), true, 'no iat cannot prove it came later');
    assert.equal(store.isRevoked({ sub: 'bob', iat: second - 1 }), false);
    time.now += store.retentionMs + 1;
    assert.equal(store.isRevoked({ sub: 'ann', iat: second - 1 }), false);
  });

  it('keeps a rule for a huge exp (1e15 s, 1e308 s, Infinity given directly) MAX_RULE_LIFETIME_MS, as the Redis store does', () => {
    const { time, now } = clock();
    const store = new MemoryRevocationStore({ now });
    const heard: StoredRule[] = [];
    store.subscribe((rule) => heard.push(rule));
    store.add(storedRule({ jti: 'a', exp: 1e15 }, store.retentionMs, time.now));
    store.add(storedRule({ sub: 'ann', exp: 1e308 }, store.retentionMs, time.now));
    store.add({ jti: 'b', expiresAt: Infinity });
    assert.deepEqual(heard.map((rule) => rule.expiresAt), Array(3).fill(time.now + MAX_RULE_LIFETIME_MS));
    time.now += MAX_RULE_LIFETIME_MS - 1;
    assert.deepEqual([store.isRevoked({ jti: 'a' }), store.isRevoked({ jti: 'b' }), store.isRevoked({ sub: 'ann', iat: 0 })], [true, true, true]);
    time.now += 1;
    assert.deepEqual([store.isRevoked({ jti: 'a' }), store.isRevoked({ jti: 'b' }), store.isRevoked({ sub: 'ann', iat: 0 })], [false, false, false]);
  });

  it('normalises numeric ids itself (a public class: a direct caller may pass numbers)', () => {
    const { time, now } = clock();
    const store = new MemoryRevocationStore({ now });
    store.add({ sub: 42, issuedBefore: time.now, expiresAt: time.now + 60_000 } as unknown as StoredRule);
    store.add({ jti: 7, expiresAt: time.now + 60_000 } as unknown as StoredRule);
    const second = Math.floor(time.now / 1000) - 1;
    assert.equal(store.isRevoked({ sub: '42', iat: second }), true);
    assert.equal(store.isRevoked({ sub: 42, iat: second }), true);
    assert.equal(store.isRevoked({ jti: '7' }), true);
    assert.equal(store.isRevoked({ jti: 7 }), true);
    assert.equal(store.isRevoked({ sub: 43, iat: second }), false);
    const heard: StoredRule[] = [];
    store.subscribe((rule) => heard.push(rule));
    store.add({ sub: 5, issuedBefore: time.now, expiresAt: time.now + 60_000 } as unknown as StoredRule);
    assert.deepEqual(heard.map((rule) => 'sub' in rule && rule.sub), ['5'], 'subscribers hear the normal form');
  });

  it('two revocations of a subject keep the later cut-off and the longer retention', () => {
    const { time, now } = clock();
    const store = new MemoryRevocationStore({ now });
    store.add({ sub: 'ann', issuedBefore: time.now + 10_000, expiresAt: time.now + 5_000 });
    store.add({ sub: 'ann', issuedBefore: time.now, expiresAt: time.now + 50_000 });
    time.now += 20_000;
    assert.equal(store.isRevoked({ sub: 'ann', iat: (time.now - 15_000) / 1000 }), true);
  });

  it('is bounded: beyond maxEntries the rules closest to expiry go, with a warning', async () => {
    const { time, now } = clock();
    const store = new MemoryRevocationStore({ now, maxEntries: 3 });
    const warned = new Promise<Error & { code?: string }>((resolve) => process.once('warning', resolve));
    for (let i = 0; i < 4; i++) store.add({ jti: `t${i}`, expiresAt: time.now + 1000 * (10 - i) });
    assert.equal(store.size, 3);
    assert.equal((await warned).code, 'SOCKJWT_REVOCATION_STORE_FULL');
    assert.equal(store.isRevoked({ jti: 't3' }), false, 'the rule closest to expiry was forgotten');
    assert.equal(store.isRevoked({ jti: 't0' }), true);
  });

  it('tells subscribers of each rule until they unsubscribe', () => {
    const store = new MemoryRevocationStore();
    const heard: StoredRule[] = [];
    const unsubscribe = store.subscribe((rule) => heard.push(rule));
    store.add({ jti: 'a', expiresAt: Date.now() + 1000 });
    unsubscribe();
    store.add({ jti: 'b', expiresAt: Date.now() + 1000 });
    assert.deepEqual(heard.map((rule) => ('jti' in rule ? rule.jti : rule.sub)), ['a']);
  });
});
