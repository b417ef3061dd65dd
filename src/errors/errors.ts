import type { ErrorCode, ErrorReason, UnauthorizedErrorData } from '../types.js';

/** Every `ErrorCode` (types.ts), for code that enumerates them; the compiler holds the two together. */
export const ERROR_CODES = [
  'invalid_token',
  'credentials_required',
  'credentials_bad_format',
  'missing_authorization_header',
  'invalid_secret',
  'authentication_timeout',
  'forbidden',
  'unknown',
] as const satisfies readonly ErrorCode[];

/** Every `ErrorReason` (types.ts). */
export const ERROR_REASONS = [
  'expired',
  'not_yet_valid',
  'malformed',
  'bad_signature',
  'algorithm_not_allowed',
  'no_matching_key',
  'claim_invalid',
  'too_large',
  'missing',
  'key_unavailable',
  'timeout',
  'rejected',
  'internal',
  'revoked',
  'revocation_unavailable',
  'subject_mismatch',
  'claim_required',
  'rate_limited',
  'session_limit',
  'identity_required',
] as const satisfies readonly ErrorReason[];

/** Compiles only while each list names every member of its union. */
type Exhaustive<Listed, All> = [All] extends [Listed] ? true : never;
export const LISTS_ARE_COMPLETE: Exhaustive<(typeof ERROR_CODES)[number], ErrorCode> & Exhaustive<(typeof ERROR_REASONS)[number], ErrorReason> = true;

/**
 * The one error sockjwt refuses with. `code` keeps socketio-jwt's vocabulary; `reason` says
 * precisely why. `toJSON()` is the wire form, so `cause` (which may hold library internals)
 * never reaches a client.
 *
 * @example
 * ```ts
 * // additional_auth refusing with the app's own code, passed through to the client
 * additional_auth: async (claims) => {
 *   if (await isBanned(claims.sub)) throw new UnauthorizedError('banned', 'rejected', 'this account is suspended');
 *   return true;
 * },
 * ```
 */
export class UnauthorizedError extends Error {
  override readonly name = 'UnauthorizedError';
  readonly code: ErrorCode | (string & {});
  readonly reason: ErrorReason;
  readonly data: UnauthorizedErrorData;

  /** socketio-jwt's form: `new UnauthorizedError(code, { message })`; the reason is `rejected`, `inner` the object. */
  constructor(code: ErrorCode | (string & {}), error: { message: string });
  constructor(code: ErrorCode | (string & {}), reason: ErrorReason, message: string, options?: { cause?: unknown; retryAfterMs?: number });
  constructor(code: ErrorCode | (string & {}), reasonOrError: ErrorReason | { message: string }, message?: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    const legacy = typeof reasonOrError === 'object' && reasonOrError !== null;
    const text = legacy ? legacyMessage(reasonOrError) : String(message);
    super(text, legacy ? { cause: reasonOrError } : options);
    this.code = code;
    this.reason = legacy ? 'rejected' : reasonOrError;
    this.data = { message: text, code, type: 'UnauthorizedError', reason: this.reason };
    if (options?.retryAfterMs !== undefined) this.data.retryAfterMs = options.retryAfterMs;
  }

  /** socketio-jwt exposed the underlying error as `inner`; kept for code that reads it. */
  get inner(): unknown {
    return this.cause;
  }

  toJSON(): { message: string; data: UnauthorizedErrorData } {
    return { message: this.message, data: this.data };
  }
}

/** socketio-jwt passed an Error or `{ message }`; JavaScript callers may pass anything. */
function legacyMessage(error: { message?: unknown }): string {
  return typeof error.message === 'string' ? error.message : 'unauthorized';
}

/**
 * Whether `value` is sockjwt's refusal (and not some other error).
 *
 * @example
 * ```ts
 * try { await verifyAgain(); } catch (error) { if (isUnauthorizedError(error)) log(error.reason); }
 * ```
 */
export function isUnauthorizedError(value: unknown): value is UnauthorizedError {
  return value instanceof UnauthorizedError;
}

/** Wraps anything thrown by a hook so that no raw error object ever reaches a client. */
export function asUnauthorizedError(error: unknown, fallback: (cause: unknown) => UnauthorizedError): UnauthorizedError {
  if (error instanceof UnauthorizedError) return error;
  return fallback(error);
}
