import { UnauthorizedError } from '../errors/errors.js';
import { messageOf } from '../util/hook-results.js';
import { createDecoder } from 'fast-jwt';
import type { VerifyToken } from './verify-token.js';
import * as refuse from '../errors/refusals.js';
import type { ErrorReason, JwtClaims } from '../types.js';

/** A prebuilt fast-jwt verifier: one key, its algorithms and the claim checks. */
export type FastVerifier = (token: string) => unknown;

/** A token checked whole: its claims, or an UnauthorizedError (thrown, or the Promise's rejection). */
export type CheckToken = (request: Parameters<VerifyToken>[0], token: unknown) => JwtClaims | Promise<JwtClaims>;

/**
 * Token in, claims or a refusal out; nothing about sockets, sessions or revocation. In order:
 * the value's type and size, an unsigned token (read only when its signature is empty), the
 * signature and registered claims (`verify`, the key resolved inside), then the signature's
 * spelling and the claims' keys. Synchronous whenever `verify` is (a static key): no Promise
 * on the common path.
 */
export function createCheckToken(verify: VerifyToken, maxTokenLength: number): CheckToken {
  return (request, token) => {
    const checked = checkShape(token, maxTokenLength);
    const verified = tryVerify(verify, request, checked);
    return verified instanceof Promise
      ? verified.then((payload) => accepted(checked, payload), (error: unknown) => refused(checked, error))
      : accepted(checked, verified);
  };
}

function tryVerify(verify: VerifyToken, request: Parameters<VerifyToken>[0], token: string): JwtClaims | Promise<JwtClaims> {
  try {
    return verify(request, token);
  } catch (error) {
    return refused(token, error);
  }
}

function checkShape(token: unknown, maxTokenLength: number): string {
  if (typeof token !== 'string' || token.length === 0) throw refuse.notAString();
  if (token.length > maxTokenLength) throw refuse.tooLarge(maxTokenLength);
  if (token.charCodeAt(token.length - 1) === DOT || token.endsWith(' ')) refuseUnsigned(token);
  return token;
}

const DOT = 46;
const decodeUnsigned = createDecoder({ complete: true });

/**
 * An empty signature (`alg: none`): jsonwebtoken's text, which socketio-jwt's clients and tests
 * read, once the token is known to parse; an app's secret function never sees claims nobody signed.
 * A token that does not parse is malformed, whatever its signature.
 */
function refuseUnsigned(token: string): void {
  const first = token.indexOf('.');
  const last = token.lastIndexOf('.');
  if (first < 0 || token.indexOf('.', first + 1) !== last || token.slice(last + 1).trim() !== '') return;
  try {
    decodeUnsigned(token);
  } catch (cause) {
    throw refuse.malformed(undefined, cause);
  }
  throw refuse.signatureRequired();
}

/**
 * A token that verified is still refused when its signature is not spelled canonically (the
 * decoders ignore the unused low bits of the last base64url character, and padding, so one
 * signature has several spellings: jsonwebtoken compares text, fast-jwt bytes) or when its claims
 * carry a key that `socket.data` cannot ship between nodes (`prototypeKeyIn`, below).
 */
function accepted(token: string, payload: JwtClaims): JwtClaims {
  if (!canonicalSignature(token)) throw refuse.badSignature();
  const key = prototypeKeyIn(payload);
  if (key !== undefined) throw refuse.claimInvalid(`jwt payload uses the reserved key "${key}"`);
  return payload;
}

/** A refusal stands, except that a badly spelled signature is a bad signature before any claim is judged. */
function refused(token: string, error: unknown): never {
  if (error instanceof UnauthorizedError && error.reason !== 'malformed' && error.reason !== 'bad_signature' && !canonicalSignature(token)) {
    throw refuse.badSignature(error);
  }
  throw error;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The signature segment is the one base64url text of its bytes: no padding, no stray bits. */
export function canonicalSignature(token: string): boolean {
  const signature = token.slice(token.lastIndexOf('.') + 1);
  if (!BASE64URL.test(signature)) return false;
  const tail = signature.length % 4;
  if (tail === 0) return true;
  if (tail === 1) return false;
  const bits = ALPHABET.indexOf(signature[signature.length - 1]!);
  return (bits & (tail === 2 ? 0b1111 : 0b11)) === 0;
}

// ───────────────────────────── the verifiers' answers ─────────────────────────────

/** A key whose signature does not match hands over to the next; any other failure is final. */
const KEY_MISMATCH: ReadonlySet<ErrorReason> = new Set(['bad_signature', 'algorithm_not_allowed']);

/**
 * Tries each key in order. fast-jwt checks the signature before any claim, so an expired token
 * signed by the second key reports `expired`, not the first key's `bad_signature`.
 */
export function verifyWithFirstMatching(verifiers: readonly FastVerifier[], token: string): JwtClaims {
  let refusal: UnauthorizedError | undefined;
  for (const verifier of verifiers) {
    try {
      return checkIssuedAt(verifier(token) as JwtClaims);
    } catch (error) {
      if (error instanceof UnauthorizedError) throw error;
      const mapped = fromTokenError(error);
      if (!KEY_MISMATCH.has(mapped.reason)) throw mapped;
      // "No key has this signature" says more than "this key does not take this alg".
      if (!refusal || (refusal.reason !== 'bad_signature' && mapped.reason === 'bad_signature')) refusal = mapped;
    }
  }
  throw refusal ?? refuse.noMatchingKey();
}

/**
 * fast-jwt checks the type of `exp` and `nbf` but reads `iat` only for `maxAge`. RFC 7519 makes it
 * a NumericDate; revocation by `issuedBefore` compares it, so a string there is refused.
 */
function checkIssuedAt(payload: JwtClaims): JwtClaims {
  if (payload.iat !== undefined && (typeof payload.iat !== 'number' || !Number.isFinite(payload.iat))) {
    throw refuse.claimInvalid('The iat claim must be a number.');
  }
  return payload;
}

/** fast-jwt's error codes onto our refusals; `claim_invalid` keeps fast-jwt's text (it names the claim). */
const REFUSAL_BY_FAST_JWT_CODE: Readonly<Record<string, (cause: unknown) => UnauthorizedError>> = {
  FAST_JWT_EXPIRED: refuse.expired,
  FAST_JWT_INACTIVE: refuse.notYetValid,
  FAST_JWT_MALFORMED: (cause) => refuse.malformed(undefined, cause),
  // Only the `typ` check raises it here: the token is always a string by then.
  FAST_JWT_INVALID_TYPE: claimInvalidFrom,
  FAST_JWT_INVALID_PAYLOAD: (cause) => refuse.malformed(undefined, cause),
  FAST_JWT_INVALID_CRIT_HEADER: (cause) => refuse.malformed(undefined, cause),
  FAST_JWT_INVALID_SIGNATURE: refuse.badSignature,
  FAST_JWT_MISSING_SIGNATURE: refuse.badSignature,
  FAST_JWT_VERIFY_ERROR: refuse.badSignature,
  FAST_JWT_INVALID_ALGORITHM: refuse.algorithmNotAllowed,
  FAST_JWT_INVALID_CLAIM_TYPE: claimInvalidFrom,
  FAST_JWT_INVALID_CLAIM_VALUE: claimInvalidFrom,
  FAST_JWT_MISSING_REQUIRED_CLAIM: claimInvalidFrom,
};

function claimInvalidFrom(cause: unknown): UnauthorizedError {
  return refuse.claimInvalid(messageOf(cause, 'jwt claim invalid'), cause);
}

/** Maps fast-jwt's errors onto ours; anything unrecognised fails closed as `invalid_token`. */
export function fromTokenError(error: unknown): UnauthorizedError {
  const fastJwtCode = (error as { code?: unknown } | null)?.code;
  const refusal = typeof fastJwtCode === 'string' ? REFUSAL_BY_FAST_JWT_CODE[fastJwtCode] : undefined;
  return refusal ? refusal(error) : refuse.malformed('jwt could not be verified', error);
}

// ───────────────────────────── claims and handshakes safe to ship ─────────────────────────────

/**
 * socket.io ships `socket.handshake`, its `auth` and `query` with it, in `fetchSockets()` answers:
 * a prototype-bearing key there (own, at any depth: JSON and query parsing make them) breaks or
 * forges the far side's msgpack decoding, as one in the claims would. Such a handshake is refused,
 * token or not, in both modes; never repaired.
 */
export function unshippableHandshake({ auth, query }: { auth: unknown; query: unknown }): UnauthorizedError | undefined {
  const inAuth = prototypeKeyIn(auth);
  if (inAuth !== undefined) return refuse.reservedHandshakeKey('auth', inAuth);
  const inQuery = prototypeKeyIn(query);
  return inQuery === undefined ? undefined : refuse.reservedHandshakeKey('query', inQuery);
}

/**
 * Keys that must never travel in `socket.data`: socket.io ships it to other nodes
 * (`fetchSockets()`), and the adapters' msgpack decoders either refuse a `__proto__` key and
 * drop the whole answer (the Redis Streams adapter: every node's `fetchSockets()` times out)
 * or turn it into the object's prototype (notepack.io: claims the token never had).
 */
function isPrototypeKey(key: string): boolean {
  // Three comparisons of internalised strings: cheaper than a Set lookup per key (the profile's hottest line here).
  return key === '__proto__' || key === 'constructor' || key === 'prototype';
}

/**
 * The first prototype-bearing key anywhere in `value` (plain objects and arrays, any
 * depth), or undefined. Iterative: a token's nesting depth is the attacker's choice.
 * Only enumerable own keys travel (JSON, msgpack and the adapters copy nothing else), and
 * `for…in` reads them from V8's enumeration cache: a flat object costs no allocation.
 */
export function prototypeKeyIn(value: unknown): string | undefined {
  let pending: object[] | undefined;
  let current: unknown = value;
  for (;;) {
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) {
        const item: unknown = current[i];
        if (typeof item === 'object' && item !== null) (pending ??= []).push(item);
      }
    } else if (typeof current === 'object' && current !== null) {
      for (const key in current) {
        if (!Object.hasOwn(current, key)) continue;
        if (isPrototypeKey(key)) return key;
        const member: unknown = (current as Record<string, unknown>)[key];
        if (typeof member === 'object' && member !== null) (pending ??= []).push(member);
      }
    }
    if (pending === undefined || pending.length === 0) return undefined;
    current = pending.pop();
  }
}
