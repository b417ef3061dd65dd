// RedisRevocationStore's rules on a real Redis: what they cover, how long they live, and
// that a stronger rule is never weakened by a later, weaker one.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { createClient } from 'redis';
import { RedisRevocationStore } from '../src/redis/index.js';
import { MAX_RULE_LIFETIME_MS, storedRule } from '../src/revocation/revocation.js';
import type { StoredRule } from '../src/types.js';
import { sharedRedis, SHARED_REDIS_URL, uniquePrefix } from './redis-support.js';
import { freePort } from './redis-topologies.js';
import { numbersAndStringsAreOneIdentity, subjectRuleCoversUpToItsCutOff } from './store-rules.js';

const inSeconds = (ms: number) => Math.floor(ms / 1000);

async function storeOn(t: import('node:test').TestContext) {
  const keyPrefix = uniquePrefix();
  const client = await sharedRedis(t, keyPrefix);
  return { store: new RedisRevocationStore({ client, keyPrefix }), client, keyPrefix };
}

test('a jti rule covers that token only, and expires with it', async (t) => {
  const { store, client, keyPrefix } = await storeOn(t);
  const jti = randomUUID();
  await store.add({ jti, expiresAt: Date.now() + 30_000 });
  assert.equal(await store.isRevoked({ jti, sub: 'ann' }), true);
  assert.equal(await store.isRevoked({ jti: randomUUID(), sub: 'ann' }), false);
  const ttl = await client.pTTL(`{${keyPrefix}}jti:${jti}`);
  assert.ok(ttl > 28_000 && ttl <= 30_000, `TTL follows exp (${ttl} ms)`);
});

test('a subject rule covers tokens issued up to its cut-off, not after', async (t) => {
  const { store } = await storeOn(t);
  await subjectRuleCoversUpToItsCutOff(store);
});

test('numeric ids are normalised by the store itself: a numeric sub or jti is found, never a silent false', async (t) => {
  const { store } = await storeOn(t);
  await numbersAndStringsAreOneIdentity(store);
});

test('a later, weaker rule neither moves the cut-off back nor shortens the life', async (t) => {
  const { store, client, keyPrefix } = await storeOn(t);
  const now = Date.now();
  await store.add({ sub: 'dan', issuedBefore: now, expiresAt: now + 60_000 });
  await store.add({ sub: 'dan', issuedBefore: now - 30_000, expiresAt: now + 5_000 });
  assert.equal(await store.isRevoked({ sub: 'dan', iat: inSeconds(now) - 10 }), true);
  assert.ok((await client.pTTL(`{${keyPrefix}}sub:dan`)) > 50_000);
});

test('a huge exp (1e15 s, 1e308 s, Infinity given directly) is stored and announced, kept MAX_RULE_LIFETIME_MS', async (t) => {
  const { store, client, keyPrefix } = await storeOn(t);
  const heard: StoredRule[] = [];
  store.subscribe((rule) => heard.push(rule));
  const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
  const start = Date.now();
  await store.add(storedRule({ jti: a, exp: 1e15 }, store.retentionMs, Date.now()));
  await store.add(storedRule({ sub: b, exp: 1e308 }, store.retentionMs, Date.now()));
  await store.add({ jti: c, expiresAt: Infinity });
  assert.deepEqual([await store.isRevoked({ jti: a }), await store.isRevoked({ sub: b, iat: 0 }), await store.isRevoked({ jti: c })], [true, true, true]);
  for (const key of [`{${keyPrefix}}jti:${a}`, `{${keyPrefix}}sub:${b}`, `{${keyPrefix}}jti:${c}`]) {
    const ttl = await client.pTTL(key);
    assert.ok(ttl <= MAX_RULE_LIFETIME_MS && ttl >= MAX_RULE_LIFETIME_MS - (Date.now() - start) - 1000, `${key}: TTL ${ttl} ms`);
  }
  assert.equal(heard.length, 3);
  for (const rule of heard) assert.ok(rule.expiresAt >= start + MAX_RULE_LIFETIME_MS && rule.expiresAt <= Date.now() + MAX_RULE_LIFETIME_MS);
});

test('a rule whose tokens have expired is not stored', async (t) => {
  const { store, client, keyPrefix } = await storeOn(t);
  await store.add({ jti: 'old', expiresAt: Date.now() - 1 });
  assert.equal(await client.exists(`{${keyPrefix}}jti:old`), 0);
});

test('with Redis unreachable a check fails at once instead of waiting for it', async (t) => {
  const client = createClient({ url: `redis://127.0.0.1:${await freePort()}` }); // nothing listens there
  client.on('error', () => {});
  client.connect().catch(() => {});
  t.after(() => client.destroy());
  const store = new RedisRevocationStore({ client, keyPrefix: uniquePrefix() });
  const started = performance.now();
  await assert.rejects(store.isRevoked({ sub: 'erin' }), /not connected/);
  await assert.rejects(store.add({ sub: 'erin', issuedBefore: Date.now(), expiresAt: Date.now() + 1000 }), /not connected/);
  assert.ok(performance.now() - started < 100);
});

test('options are checked when the store is built', () => {
  assert.throws(() => new RedisRevocationStore({} as never), TypeError);
  const client = createClient({ url: SHARED_REDIS_URL });
  assert.throws(() => new RedisRevocationStore({ client, commandTimeoutMs: 0 }), RangeError);
});
