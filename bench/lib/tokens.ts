// Tokens for the benchmarks, signed with bare node:crypto: distinct per connection (own
// `sub` and `jti`, `exp` an hour out), so no verifier can answer from a cache.
import { createHmac, createPrivateKey, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';

export const HS_SECRET = 'a-benchmark-secret-of-reasonable-length';

const b64u = (data: string | Buffer) => Buffer.from(data).toString('base64url');

export type BenchAlg = 'HS256' | 'ES256' | 'RS256' | 'EdDSA';

export interface SigningKeys {
  /** Private keys as PEM, so they can cross to a child process in an environment variable. */
  es256: string;
  rs256: string;
  eddsa: string;
}

export function generateSigningKeys(): SigningKeys {
  const pem = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    es256: pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
    rs256: pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey),
    eddsa: pem(generateKeyPairSync('ed25519').privateKey),
  };
}

// Parsing a PEM costs more than an ES256 signature: each private key is parsed once per process.
const privateKeys = new Map<string, KeyObject>();
const privateKey = (pem: string): KeyObject => {
  let key = privateKeys.get(pem);
  if (!key) privateKeys.set(pem, (key = createPrivateKey(pem)));
  return key;
};

export function signToken(alg: BenchAlg, payload: object, keys: SigningKeys | undefined): string {
  const input = `${b64u(JSON.stringify({ alg, typ: 'JWT' }))}.${b64u(JSON.stringify(payload))}`;
  const data = Buffer.from(input);
  let signature: Buffer;
  if (alg === 'HS256') signature = createHmac('sha256', HS_SECRET).update(data).digest();
  else if (alg === 'ES256') signature = sign('sha256', data, { key: privateKey(keys!.es256), dsaEncoding: 'ieee-p1363' });
  else if (alg === 'RS256') signature = sign('sha256', data, privateKey(keys!.rs256));
  else signature = sign(null, data, privateKey(keys!.eddsa));
  return `${input}.${b64u(signature)}`;
}

/** `count` tokens, each for its own user, with `sub`, `jti`, `iat` and an `exp` an hour out. */
export function userTokens(alg: BenchAlg, count: number, keys: SigningKeys | undefined, lifetimeS = 3600): string[] {
  const iat = Math.floor(Date.now() / 1000);
  return Array.from({ length: count }, (_, i) => signToken(alg, { sub: `user-${i}`, jti: randomUUID(), iat, exp: iat + lifetimeS }, keys));
}

