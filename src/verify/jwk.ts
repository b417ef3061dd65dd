import { createPublicKey, createSecretKey, type JsonWebKey as NodeJsonWebKey, type KeyObject } from 'node:crypto';
import type { JsonWebKey, JsonWebKeySet } from '../types.js';

/** A plain object with a string `kty`: what RFC 7517 calls a JWK. */
export function isJwk(value: unknown): value is JsonWebKey {
  return isPlainObject(value) && typeof value['kty'] === 'string';
}

/** A plain object with a `keys` array: a JWK Set (RFC 7517 §5). */
export function isJwkSet(value: unknown): value is JsonWebKeySet {
  return isPlainObject(value) && Array.isArray(value['keys']);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/**
 * node:crypto reads RSA, EC and OKP JWKs itself (a private JWK yields its public half);
 * an `oct` JWK is the shared secret, base64url-encoded in `k`. Throws on anything else.
 */
export function keyObjectFromJwk(jwk: JsonWebKey): KeyObject {
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new Error(`JWK "use" is "${String(jwk.use)}", not "sig"`);
  if (jwk.kty === 'oct') {
    if (typeof jwk['k'] !== 'string' || jwk['k'].length === 0) throw new Error('JWK of type "oct" has no "k"');
    return createSecretKey(Buffer.from(jwk['k'], 'base64url'));
  }
  return createPublicKey({ key: jwk as NodeJsonWebKey, format: 'jwk' });
}

/**
 * A JWK Set given as `secret` is checked member by member now, so a typo'd or private key
 * fails at `authorize()`, not at the first handshake. Only public keys belong in a set: shared
 * secrets rotate through an array of secrets instead.
 */
export function checkPublicJwkSet(set: JsonWebKeySet): JsonWebKeySet {
  if (set.keys.length === 0) throw new Error('the JWK Set has no keys');
  set.keys.forEach((member, index) => {
    if (!isJwk(member)) throw new Error(`JWK Set member ${index} is not a JWK`);
    if (member.kty === 'oct') throw new Error(`JWK Set member ${index} is a shared secret; pass shared secrets as an array`);
    if ('d' in member) throw new Error(`JWK Set member ${index} is a private key; a verifier needs only the public key`);
    try {
      keyObjectFromJwk(member);
    } catch (cause) {
      throw new Error(`JWK Set member ${index} is unusable: ${(cause as Error).message}`, { cause });
    }
  });
  return set;
}
