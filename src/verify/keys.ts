import { createPublicKey, KeyObject } from 'node:crypto';
import { isJwk, keyObjectFromJwk } from './jwk.js';
import type { Algorithm, JsonWebKey, KeyMaterial } from '../types.js';

const HMAC: readonly Algorithm[] = ['HS256', 'HS384', 'HS512'];
const RSA: readonly Algorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const RSA_PSS: readonly Algorithm[] = ['PS256', 'PS384', 'PS512'];
const EC_BY_CURVE: Readonly<Record<string, Algorithm>> = { 'prime256v1': 'ES256', 'secp384r1': 'ES384', 'secp521r1': 'ES512' };

/** What a public key can verify; a JWK Set or JWKS endpoint holds nothing else. */
export const ASYMMETRIC_ALGORITHMS: readonly Algorithm[] = [...RSA, 'ES256', 'ES384', 'ES512', 'EdDSA'];
export const ALL_ALGORITHMS: ReadonlySet<string> = new Set([...HMAC, ...ASYMMETRIC_ALGORITHMS]);

/** A key in the form fast-jwt takes, and the algorithms that key can verify. */
export interface PreparedKey {
  material: string | Buffer;
  family: readonly Algorithm[];
}

/** Thrown when a key cannot be used; callers turn it into a TypeError or `invalid_secret`. */
export class KeyError extends Error {
  override readonly name = 'KeyError';
}

/**
 * Decides once what a key is. A PEM string is a public key even when whitespace precedes it,
 * so it can never be used as an HMAC secret (the RS256→HS256 confusion attack).
 */
export function prepareKey(key: KeyMaterial | null | undefined): PreparedKey {
  if (key instanceof KeyObject) return prepareKeyObject(key);
  if (isJwk(key)) return prepareJwk(key);
  if (typeof key !== 'string' && !Buffer.isBuffer(key)) throw new KeyError('secret must be a string, Buffer, KeyObject or JWK');
  if (key.length === 0) throw new KeyError('secret is empty');
  if (looksLikePem(key)) return prepareKeyObject(publicKeyFromPem(key));
  return { material: key, family: HMAC };
}

function looksLikePem(key: string | Buffer): boolean {
  return (typeof key === 'string' ? key : key.toString('latin1')).includes('-----BEGIN');
}

function publicKeyFromPem(pem: string | Buffer): KeyObject {
  try {
    return createPublicKey(typeof pem === 'string' ? pem.trim() : pem.toString('utf8').trim());
  } catch (cause) {
    throw new KeyError('secret looks like a PEM key but could not be parsed as one', { cause });
  }
}

/** A JWK that names its `alg` is held to it (RFC 7517 §4.4): an RSA key marked RS256 does not verify PS256. */
function prepareJwk(jwk: JsonWebKey): PreparedKey {
  let key: PreparedKey;
  try {
    key = prepareKeyObject(keyObjectFromJwk(jwk));
  } catch (cause) {
    throw new KeyError(`JWK could not be used: ${(cause as Error).message}`, { cause });
  }
  if (jwk.alg === undefined) return key;
  if (!key.family.includes(jwk.alg as Algorithm)) throw new KeyError(`JWK "alg" ${String(jwk.alg)} does not fit its key type`);
  return { ...key, family: [jwk.alg as Algorithm] };
}

function prepareKeyObject(key: KeyObject): PreparedKey {
  if (key.type === 'secret') {
    if (key.symmetricKeySize === 0) throw new KeyError('secret is empty');
    return { material: key.export(), family: HMAC };
  }
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return { material: publicKey.export({ type: 'spki', format: 'pem' }).toString(), family: asymmetricFamily(publicKey) };
}

function asymmetricFamily(key: KeyObject): readonly Algorithm[] {
  switch (key.asymmetricKeyType) {
    case 'rsa': return RSA;
    case 'rsa-pss': return RSA_PSS;
    case 'ed25519': return ['EdDSA'];
    case 'ec': {
      const algorithm = EC_BY_CURVE[key.asymmetricKeyDetails?.namedCurve ?? ''];
      if (algorithm) return [algorithm];
      break;
    }
  }
  throw new KeyError(`unsupported key type ${key.asymmetricKeyType ?? 'unknown'}`);
}

/** The configured allow-list narrowed to what the key can verify; empty means unusable. */
export function allowedFor(key: PreparedKey, configured: readonly Algorithm[] | undefined): Algorithm[] {
  if (!configured) return [...key.family];
  return configured.filter((algorithm) => key.family.includes(algorithm));
}
