import { KeyObject } from 'node:crypto';
import { createLocalJWKSet, errors, type CryptoKey, type JWSHeaderParameters } from 'jose';
import { UnauthorizedError } from '../errors/errors.js';
import * as refuse from '../errors/refusals.js';
import type { JsonWebKeySet, JwtHeader } from '../types.js';

/**
 * The keys a token may have been signed with, chosen from a JWK Set by its header. Several
 * only when the token names no `kid` and more than one key fits its `alg`; they are tried in turn.
 */
export type KeySet = (header: JwtHeader) => Promise<KeyObject[]>;

/** jose's key selection: `(header) => CryptoKey`, local or remote. */
export type KeyResolver = (header: JWSHeaderParameters) => Promise<CryptoKey>;

/** A JWK Set given as `secret`: selection only, nothing is ever fetched. */
export function staticKeySet(set: JsonWebKeySet): KeySet {
  const resolver = createLocalJWKSet(set as Parameters<typeof createLocalJWKSet>[0]);
  return async (header) => {
    try {
      return await selectKeys(resolver, header);
    } catch (error) {
      throw keySetError(error);
    }
  };
}

/**
 * jose chooses by `kid` (a token with a `kid` matches only the key with that `kid`), then by the
 * key type, curve, `use` and `alg` the header's `alg` calls for. Only `alg` and `kid` are handed
 * over: `jku`, `x5u`, `jwk` and every other header stay unread, so no token can point at a key.
 */
export async function selectKeys(resolver: KeyResolver, header: JwtHeader): Promise<KeyObject[]> {
  try {
    return [toKeyObject(await resolver({ alg: header.alg, kid: header.kid } as JWSHeaderParameters))];
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
    const candidates: KeyObject[] = [];
    for await (const key of error) candidates.push(toKeyObject(key));
    if (candidates.length === 0) throw new errors.JWKSNoMatchingKey();
    return candidates;
  }
}

/** jose reuses one CryptoKey per key and `alg`; one KeyObject each keeps the verifier cache warm. */
const keyObjects = new WeakMap<CryptoKey, KeyObject>();

function toKeyObject(key: CryptoKey): KeyObject {
  let keyObject = keyObjects.get(key);
  if (!keyObject) keyObjects.set(key, (keyObject = KeyObject.from(key)));
  return keyObject;
}

/** A key set without the token's key is the token's problem; anything else is the key set's. */
export function keySetError(error: unknown): UnauthorizedError {
  if (error instanceof UnauthorizedError) return error;
  if (error instanceof errors.JWKSNoMatchingKey) {
    return refuse.noMatchingKey('no key in the key set matches the token', error);
  }
  return keyUnavailable(error);
}

export function keyUnavailable(cause: unknown): UnauthorizedError {
  return refuse.keyUnavailable('the key set is unavailable', cause);
}
