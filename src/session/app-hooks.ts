import { asUnauthorizedError, UnauthorizedError } from '../errors/errors.js';
import { DeadlineError, within } from '../util/deadline.js';
import { isThenable, messageOf } from '../util/hook-results.js';
import { prototypeKeyIn } from '../verify/check-token.js';
import * as refuse from '../errors/refusals.js';
import type { AdditionalAuth, AdditionalAuthRefusal, JwtClaims } from '../types.js';

/** The app's hooks, as `authorize()` decided them (context.ts). */
export interface AppHooks {
  readonly additionalAuth: AdditionalAuth | undefined;
  readonly customDecoded: CustomDecoded | undefined;
  /** How long (ms) each may take. */
  readonly hookTimeoutMs: number;
}

/** `additional_auth`, then `customDecoded`: the identity a verified, unrevoked token gives. */
export async function runHooks(hooks: AppHooks, token: string, payload: JwtClaims): Promise<{ token: string; payload: JwtClaims; claims: unknown }> {
  if (hooks.additionalAuth) await runAdditionalAuth(hooks.additionalAuth, payload, hooks.hookTimeoutMs);
  const claims = hooks.customDecoded ? await reshapeClaims(hooks.customDecoded, payload, hooks.hookTimeoutMs) : payload;
  return { token, payload, claims };
}

/** The app's reshaping of verified claims (`customDecoded`). */
export type CustomDecoded = (decoded: JwtClaims) => unknown;

/** `customDecoded`'s result, refused when it could not travel in `socket.data` (verify/check-token.ts). */
export async function reshapeClaims(customDecoded: CustomDecoded, claims: JwtClaims, timeoutMs: number): Promise<unknown> {
  const reshaped = await runCustomDecoded(customDecoded, claims, timeoutMs);
  if (prototypeKeyIn(reshaped) !== undefined) throw refuse.internal('customDecoded failed', new TypeError('customDecoded returned a prototype-bearing key'));
  return reshaped;
}

/** socketio-jwt's callback contract, plus a Promise form; whichever settles first wins. */
export function runAdditionalAuth(additionalAuth: AdditionalAuth, claims: JwtClaims, timeoutMs: number): Promise<void> {
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

async function runCustomDecoded(customDecoded: CustomDecoded, claims: JwtClaims, timeoutMs: number): Promise<unknown> {
  let reshaped: unknown;
  try {
    reshaped = customDecoded(claims);
  } catch (cause) {
    throw refuse.internal('customDecoded failed', cause);
  }
  if (!isThenable(reshaped)) return reshaped;
  try {
    return await within(reshaped, timeoutMs, 'customDecoded');
  } catch (cause) {
    if (cause instanceof DeadlineError) throw refuse.hookTimedOut(cause.message, cause);
    throw refuse.internal('customDecoded failed', cause);
  }
}
