import { UnauthorizedError } from '../errors/errors.js';
import { createDecoder } from 'fast-jwt';
import { prototypeKeyIn } from './safe-claims.js';
import type { VerifyToken } from './verify-token.js';
import * as refuse from '../errors/refusals.js';
import type { JwtClaims } from '../types.js';

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
 * carry a key that `socket.data` cannot ship between nodes (safe-claims.ts).
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
