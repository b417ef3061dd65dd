import type { IncomingMessage } from 'node:http';
import { KeyObject } from 'node:crypto';
import { createDecoder, createVerifier } from 'fast-jwt';
import { DeadlineError, within } from '../util/deadline.js';
import { isThenable } from '../util/hook-results.js';
import { fromTokenError, verifyWithFirstMatching, type FastVerifier } from './check-token.js';
import { checkPublicJwkSet, isJwkSet } from './jwk.js';
import { staticKeySet, type KeySet } from './key-set.js';
import { withVerifiedTokenCache } from './token-cache.js';
import type { ClaimChecks, VerifyToken } from './verify-token.js';

export type { ClaimChecks, VerifyToken } from './verify-token.js';
import { allowedFor, ASYMMETRIC_ALGORITHMS, KeyError, prepareKey, type PreparedKey } from './keys.js';
import * as refuse from '../errors/refusals.js';
import type { Algorithm, JsonWebKey, JsonWebKeySet, JwtClaims, JwtHeader, KeyMaterial, SecretFunction } from '../types.js';

const VERIFIER_CACHE_SIZE = 256;

/**
 * Normalises every form of `secret` into one function, so the handshake path has a single
 * shape: static keys get prebuilt synchronous verifiers; a JWK Set or a secret function gets a
 * decode → resolve key → verify path, with verifiers cached per key.
 */
export interface TokenVerifierOptions {
  /** How long a secret function may take (ms). */
  secretTimeoutMs: number;
  /** Tokens remembered once verified (static keys only); 0 turns the cache off. */
  verifiedTokenCache?: number;
}

export function createTokenVerifier(
  secret: KeyMaterial | readonly KeyMaterial[] | JsonWebKeySet | SecretFunction,
  algorithms: readonly Algorithm[] | undefined,
  checks: ClaimChecks,
  { secretTimeoutMs, verifiedTokenCache = 0 }: TokenVerifierOptions,
): VerifyToken {
  if (typeof secret === 'function') return verifierForSecretFunction(secret, algorithms, checks, secretTimeoutMs);
  if (isJwkSet(secret)) return createKeySetVerifier(staticKeySet(staticJwkSet(secret)), algorithms, checks);
  const keys = Array.isArray(secret) ? staticKeyList(secret) : [secret as KeyMaterial];
  const verifiers = keys.map((key) => buildVerifier(prepareStaticKey(key), algorithms, checks, (message) => new TypeError(`sockjwt: ${message}`)));
  const verify: VerifyToken = (_request, token) => verifyWithFirstMatching(verifiers, token);
  return verifiedTokenCache > 0 ? withVerifiedTokenCache(verify, verifiedTokenCache, checks) : verify;
}

/** Old and new keys side by side during a rotation; each one must be usable on its own. */
function staticKeyList(keys: readonly unknown[]): KeyMaterial[] {
  if (keys.length === 0) throw new TypeError('sockjwt: "secret" is an empty array');
  for (const key of keys) {
    if (typeof key === 'function' || Array.isArray(key) || isJwkSet(key)) {
      throw new TypeError('sockjwt: a "secret" array holds keys only (no functions, arrays or JWK Sets)');
    }
  }
  return keys as KeyMaterial[];
}

function prepareStaticKey(secret: KeyMaterial): PreparedKey {
  try {
    return prepareKey(secret);
  } catch (error) {
    throw new TypeError(`sockjwt: ${(error as Error).message}`, { cause: error });
  }
}

function staticJwkSet(set: JsonWebKeySet): JsonWebKeySet {
  try {
    return checkPublicJwkSet(set);
  } catch (error) {
    throw new TypeError(`sockjwt: ${(error as Error).message}`, { cause: error });
  }
}

function buildVerifier(
  key: PreparedKey,
  configured: readonly Algorithm[] | undefined,
  checks: ClaimChecks,
  fail: (message: string) => Error,
): FastVerifier {
  const algorithms = allowedFor(key, configured);
  if (algorithms.length === 0) {
    throw fail(`the key verifies ${key.family.join('/')} but algorithms allows only ${configured?.join(', ')}`);
  }
  return createVerifier({ ...checks, key: key.material, algorithms, cache: false }) as FastVerifier;
}

/**
 * A JWK Set, local or remote: the header chooses the key. The `alg` is checked against the
 * allow-list first, so a token with a refused `alg` never causes a fetch.
 */
export function createKeySetVerifier(keySet: KeySet, configured: readonly Algorithm[] | undefined, checks: ClaimChecks): VerifyToken {
  const allowed: readonly string[] = publicKeyAlgorithms(configured);
  const decode = createDecoder({ complete: true }) as (token: string) => { header: JwtHeader; payload: unknown };
  const verifiers = new VerifierCache((key) => buildVerifier(prepareKey(key), allowed as Algorithm[], checks, (message) => new KeyError(message)));
  return async (_request, token) => {
    const { header } = decodeForKeySelection(decode, token);
    if (!allowed.includes(header.alg)) throw refuse.algorithmNotAllowed();
    const keys = await keySet(header);
    return verifyWithFirstMatching(keys.map((key) => verifiers.get(key)), token);
  };
}

/** A key set holds public keys only: HS* can never verify against one. */
function publicKeyAlgorithms(configured: readonly Algorithm[] | undefined): Algorithm[] {
  if (!configured) return [...ASYMMETRIC_ALGORITHMS];
  const allowed = configured.filter((algorithm) => ASYMMETRIC_ALGORITHMS.includes(algorithm));
  if (allowed.length === 0) throw new TypeError(`sockjwt: a JWK Set holds public keys, but algorithms allows only ${configured.join(', ')}`);
  return allowed;
}

function verifierForSecretFunction(
  secretFunction: SecretFunction,
  configured: readonly Algorithm[] | undefined,
  checks: ClaimChecks,
  timeoutMs: number,
): VerifyToken {
  const decode = createDecoder({ complete: true }) as (token: string) => { header: JwtHeader; payload: unknown };
  const verifiers = new VerifierCache((key) =>
    buildVerifier(prepareKey(key), configured, checks, (message) => new KeyError(message)),
  );
  return async (request, token) => {
    const { header, payload } = decodeForKeySelection(decode, token);
    refuseUnsignedAlgorithm(header);
    const key = await resolveSecret(secretFunction, request, header, payload, timeoutMs);
    return verifyWithFirstMatching([verifiers.get(key)], token);
  };
}

/** `alg: none` is never accepted, so the app's secret function never sees claims nobody signed. */
function refuseUnsignedAlgorithm(header: JwtHeader): void {
  const alg: unknown = header.alg;
  if (typeof alg === 'string' && alg.toLowerCase() === 'none') {
    throw refuse.algorithmNotAllowed();
  }
}

function decodeForKeySelection(decode: (token: string) => { header: JwtHeader; payload: unknown }, token: string) {
  let decoded: { header: JwtHeader; payload: unknown };
  try {
    decoded = decode(token);
  } catch (error) {
    throw fromTokenError(error);
  }
  if (typeof decoded.payload !== 'object' || decoded.payload === null || Array.isArray(decoded.payload)) {
    throw refuse.malformed('jwt payload must be a JSON object');
  }
  return { header: decoded.header, payload: decoded.payload as JwtClaims };
}

/**
 * Calls a secret function in whichever style it was written: callback, return value or Promise.
 * One that does not answer within `timeoutMs` refuses the token instead of holding the handshake.
 */
function resolveSecret(secretFunction: SecretFunction, request: IncomingMessage, header: JwtHeader, payload: JwtClaims, timeoutMs: number): Promise<KeyMaterial> {
  const answer = new Promise<KeyMaterial | null | undefined>((resolve, reject) => {
    const callback = (error: unknown, key?: KeyMaterial | null) => (error ? reject(error) : resolve(key));
    const returned = secretFunction.length >= 4
      ? (secretFunction as (r: IncomingMessage, h: JwtHeader, p: JwtClaims, cb: typeof callback) => unknown)(request, header, payload, callback)
      : (secretFunction as (r: IncomingMessage, p: JwtClaims, cb: typeof callback) => unknown)(request, payload, callback);
    if (isThenable<KeyMaterial | null | undefined>(returned)) returned.then(resolve, reject);
    else if (returned !== undefined) resolve(returned as KeyMaterial | null);
  });
  return within(answer, timeoutMs, 'secret function').then(
    (key) => {
      if (isMissingKey(key)) {
        throw refuse.keyUnavailable('secret function returned no key');
      }
      return key;
    },
    (cause: unknown) => {
      // The app's error may name a vault host or carry a credential: it goes to the logger (`cause`), never to the client.
      throw refuse.keyUnavailable(cause instanceof DeadlineError ? cause.message : 'secret function failed', cause);
    },
  );
}

function isMissingKey(key: KeyMaterial | null | undefined): key is null | undefined {
  if (typeof key === 'string' || Buffer.isBuffer(key)) return key.length === 0;
  return typeof key !== 'object' || key === null;
}

/** Bounded, least-recently-used: per-user keys must not grow memory without limit. */
class VerifierCache {
  private readonly byValue = new Map<string, FastVerifier>();
  /** KeyObjects and JWK objects: by identity, so they leave with their owner. */
  private readonly byObject = new WeakMap<object, FastVerifier>();

  constructor(private readonly build: (key: KeyMaterial) => FastVerifier) {}

  get(key: KeyMaterial): FastVerifier {
    try {
      return typeof key === 'string' || Buffer.isBuffer(key) ? this.forValue(key) : this.forObject(key);
    } catch (cause) {
      if (cause instanceof KeyError) throw refuse.keyUnavailable(`secret is unusable: ${cause.message}`, cause);
      throw cause;
    }
  }

  private forObject(key: KeyObject | JsonWebKey): FastVerifier {
    let verifier = this.byObject.get(key);
    if (!verifier) this.byObject.set(key, (verifier = this.build(key)));
    return verifier;
  }

  private forValue(key: string | Buffer): FastVerifier {
    const id = typeof key === 'string' ? `s:${key}` : `b:${key.toString('base64')}`;
    let verifier = this.byValue.get(id);
    if (verifier) {
      this.byValue.delete(id);
    } else {
      verifier = this.build(key);
      if (this.byValue.size >= VERIFIER_CACHE_SIZE) this.byValue.delete(this.byValue.keys().next().value!);
    }
    this.byValue.set(id, verifier);
    return verifier;
  }
}
