// What every shared revocation store answers alike, whatever keeps its rules (Redis, PostgreSQL):
// the rule semantics of src/revocation/revocation.ts (`ruleCovers`, `normalizeIdentity`), asked
// through the store's own isRevoked. Each store's test file runs them against a store of its own.
import assert from 'node:assert/strict';
import type { StoredRule, TokenQuery } from '../src/types.js';

/** A shared store as its class declares it: it takes numeric ids too (`TokenQuery`). */
interface SharedStore {
  add(rule: StoredRule): Promise<void> | void;
  isRevoked(query: TokenQuery): Promise<boolean>;
}

const inSeconds = (ms: number) => Math.floor(ms / 1000);

/** A subject rule covers tokens issued up to its cut-off, not after; a token without `iat` is covered. */
export async function subjectRuleCoversUpToItsCutOff(store: SharedStore): Promise<void> {
  const cutOff = Date.now() - 10_000;
  await store.add({ sub: 'bob', issuedBefore: cutOff, expiresAt: Date.now() + 60_000 });
  assert.equal(await store.isRevoked({ sub: 'bob', iat: inSeconds(cutOff) - 5 }), true);
  assert.equal(await store.isRevoked({ sub: 'bob', iat: inSeconds(cutOff) + 5 }), false);
  assert.equal(await store.isRevoked({ sub: 'bob' }), true, 'no iat cannot prove it came later');
  assert.equal(await store.isRevoked({ sub: 'carol', iat: inSeconds(cutOff) - 5 }), false);
  assert.equal(await store.isRevoked({}), false);
}

/** A numeric `sub` or `jti`, given to the store directly, is the same identity as its string. */
export async function numbersAndStringsAreOneIdentity(store: SharedStore): Promise<void> {
  const cutOff = Date.now() - 10_000;
  await store.add({ sub: 4242, issuedBefore: cutOff, expiresAt: Date.now() + 60_000 } as unknown as StoredRule);
  await store.add({ jti: 77, expiresAt: Date.now() + 60_000 } as unknown as StoredRule);
  assert.equal(await store.isRevoked({ sub: 4242, iat: inSeconds(cutOff) - 5 }), true);
  assert.equal(await store.isRevoked({ sub: '4242', iat: inSeconds(cutOff) - 5 }), true);
  assert.equal(await store.isRevoked({ jti: 77 }), true);
  assert.equal(await store.isRevoked({ jti: '77' }), true);
  assert.equal(await store.isRevoked({ sub: 4243, iat: inSeconds(cutOff) - 5 }), false);
}
