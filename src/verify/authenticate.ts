import type { IncomingMessage } from 'node:http';
import { asUnauthorizedError, UnauthorizedError } from '../errors/errors.js';
import { DeadlineError, within } from '../util/deadline.js';
import { isThenable, messageOf } from '../util/hook-results.js';
import { prototypeKeyIn } from './safe-claims.js';
import type { AdditionalAuth, AdditionalAuthRefusal, JwtClaims } from '../options/options.js';
import type { VerifyToken } from './verify-token.js';
import * as refuse from '../errors/refusals.js';

/** A verified token, its verified payload, and the claims the app asked to keep for it. */
export interface Identity<Claims = JwtClaims> {
  /** Undefined only for a socket socket.io recovered, whose token this process never saw. */
  token: string | undefined;
  /** The verified JWT payload: expiry, revocation and refresh look at this. */
  payload: JwtClaims;
  /** What goes on the socket: the payload, or what `customDecoded` made of it. */
  claims: Claims;
}

export type Authenticate<Claims = JwtClaims> = (request: IncomingMessage, token: unknown) => Promise<Identity<Claims>>;

export interface AuthenticateSteps<Claims> {
  maxTokenLength: number;
  verify: VerifyToken;
  checkNotRevoked: (payload: JwtClaims, token: string) => Promise<void>;
  additionalAuth?: AdditionalAuth | undefined;
  customDecoded?: ((decoded: JwtClaims) => Claims | PromiseLike<Claims>) | undefined;
  /** How long (ms) `additional_auth` and `customDecoded` may take. */
  hookTimeoutMs: number;
}

/**
 * The same path for both modes, at connect and at every refresh: check the token's shape
 * and size, verify it (the key is resolved inside), refuse it if revoked, run the app's
 * extra check, then let the app reshape the claims.
 * Every failure leaves as an UnauthorizedError.
 */
export function createAuthenticate<Claims>(steps: AuthenticateSteps<Claims>): Authenticate<Claims> {
  return async (request, token) => {
    const checked = checkTokenShape(token, steps.maxTokenLength);
    const verified = refuseUnshippable(await steps.verify(request, checked));
    await steps.checkNotRevoked(verified, checked);
    if (steps.additionalAuth) await runAdditionalAuth(steps.additionalAuth, verified, steps.hookTimeoutMs);
    if (!steps.customDecoded) return { token: checked, payload: verified, claims: verified as Claims };
    const claims = await runCustomDecoded(steps.customDecoded, verified, steps.hookTimeoutMs);
    if (prototypeKeyIn(claims) !== undefined) throw refuse.internal('customDecoded failed', new TypeError('customDecoded returned a prototype-bearing key'));
    return { token: checked, payload: verified, claims };
  };
}

/**
 * Claims go into `socket.data`, which adapters ship between nodes as msgpack: a key such as
 * `__proto__` there breaks `fetchSockets()` for every node or forges a claim on the far side
 * (safe-claims.ts). Such a token is refused, never repaired.
 */
function refuseUnshippable(payload: JwtClaims): JwtClaims {
  const key = prototypeKeyIn(payload);
  if (key !== undefined) throw refuse.claimInvalid(`jwt payload uses the reserved key "${key}"`);
  return payload;
}

function checkTokenShape(token: unknown, maxTokenLength: number): string {
  if (typeof token !== 'string' || token.length === 0) {
    throw refuse.notAString();
  }
  if (token.length > maxTokenLength) {
    throw refuse.tooLarge(maxTokenLength);
  }
  checkSignatureSpelling(token);
  return token;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The signature segment of a three-segment token, read as jsonwebtoken reads it, before any key
 * is resolved:
 * - empty (`alg: none`): refused with jsonwebtoken's text, which socketio-jwt's clients (and its
 *   own tests) read; an app's secret function must never see claims nobody signed;
 * - spelled non-canonically: the last base64url character has unused low bits that decoders
 *   ignore, so one signature has several spellings. jsonwebtoken (and socketio-jwt) compare the
 *   text and refuse all but the canonical one; fast-jwt compares bytes. Refused here, so a token
 *   is one string and socketio-jwt's verdict stands (the fuzzing oracle found such a token admitted).
 * Any other shape is fast-jwt's to call malformed.
 */
function checkSignatureSpelling(token: string): void {
  const first = token.indexOf('.');
  const last = token.lastIndexOf('.');
  if (first < 0 || token.indexOf('.', first + 1) !== last) return;
  const signature = token.slice(last + 1);
  if (signature.trim() === '') {
    if (first > 0 && last > first + 1) throw refuse.signatureRequired();
    return;
  }
  if (!BASE64URL.test(signature)) return;
  if (Buffer.from(signature, 'base64url').toString('base64url') !== signature) {
    throw refuse.badSignature();
  }
}

/** socketio-jwt's callback contract, plus a Promise form; whichever settles first wins. */
function runAdditionalAuth(additionalAuth: AdditionalAuth, claims: JwtClaims, timeoutMs: number): Promise<void> {
  const decision = new Promise<void>((resolve, reject) => {
    const decline = (error: AdditionalAuthRefusal, code?: string) => {
      if (error instanceof UnauthorizedError) return reject(error);
      const described = objectForm(error);
      reject(refuse.rejected(described.message ?? wordsOf(error), code || described.code || 'unknown', error));
    };
    const returned = additionalAuth(claims, () => resolve(), decline);
    if (isThenable(returned)) {
      // A rejection is the app's failure, not its answer: its text stays on the server (`cause`).
      returned.then(
        (outcome) => (outcome === false ? decline('additional authorization refused') : resolve()),
        (error: unknown) => reject(error instanceof UnauthorizedError ? error : refuse.rejected('additional authorization failed', 'unknown', error)),
      );
    }
  }).catch((error: unknown) => {
    throw asUnauthorizedError(error, (cause) => refuse.rejected('additional authorization failed', 'unknown', cause));
  });
  return within(decision, timeoutMs, 'additional_auth').catch((error: unknown) => {
    throw asUnauthorizedError(error, (cause) => refuse.hookTimedOut(messageOf(cause, 'additional_auth timed out'), cause));
  });
}

/**
 * `onError(message)` is the app's text for the client. An Error is not: `.catch(onError)` hands
 * over a driver's or a vault's failure (hosts, credentials); it stays in `cause`, for the logger.
 */
function wordsOf(error: unknown): string {
  return typeof error === 'string' && error ? error : 'additional authorization refused';
}

/**
 * socketio-jwt's `onError({ code, message })`: both are the app's words for the client. Only a plain
 * object counts; an Error's `code` (ECONNREFUSED...) is an internal detail and stays in `cause`.
 */
function objectForm(error: unknown): { message?: string; code?: string } {
  if (Object.prototype.toString.call(error) !== '[object Object]') return {};
  const { message, code } = error as { message?: unknown; code?: unknown };
  return {
    ...(typeof message === 'string' && message ? { message } : {}),
    ...(typeof code === 'string' && code ? { code } : {}),
  };
}

async function runCustomDecoded<Claims>(customDecoded: (decoded: JwtClaims) => Claims | PromiseLike<Claims>, claims: JwtClaims, timeoutMs: number): Promise<Claims> {
  let reshaped: Claims | PromiseLike<Claims>;
  try {
    reshaped = customDecoded(claims);
  } catch (cause) {
    throw refuse.internal('customDecoded failed', cause);
  }
  if (!isThenable<Claims>(reshaped)) return reshaped;
  try {
    return await within(reshaped, timeoutMs, 'customDecoded');
  } catch (cause) {
    if (cause instanceof DeadlineError) throw refuse.hookTimedOut(cause.message, cause);
    throw refuse.internal('customDecoded failed', cause);
  }
}
