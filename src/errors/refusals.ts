import { UnauthorizedError } from './errors.js';
import type { ErrorCode, ErrorReason } from '../types.js';

/**
 * Every refusal sockjwt can produce, built here and nowhere else, so the whole `code`/`reason`
 * contract reads in one file. The reason table of docs/reference.md is checked against `CODES_BY_REASON`
 * (test/readme.test.ts), and a test keeps `new UnauthorizedError(` out of the rest of `src/`.
 *
 * Messages that socketio-jwt's clients may match on keep jsonwebtoken's and socketio-jwt's texts
 * (`jwt expired`, `invalid signature`, `Server requires Authorization Header`, …): those are stable
 * (docs/reference.md, "Errors"; test/dropin.test.ts checks each still appears in this file word for word).
 */

/** Which `code` each `reason` travels with. `rejected` also carries the app's own codes. */
export const CODES_BY_REASON = {
  expired: ['invalid_token'],
  not_yet_valid: ['invalid_token'],
  malformed: ['invalid_token', 'credentials_bad_format'],
  bad_signature: ['invalid_token'],
  algorithm_not_allowed: ['invalid_token'],
  no_matching_key: ['invalid_token'],
  claim_invalid: ['invalid_token'],
  too_large: ['invalid_token'],
  missing: ['credentials_required', 'missing_authorization_header'],
  key_unavailable: ['invalid_secret'],
  timeout: ['authentication_timeout', 'unknown'],
  rejected: ['unknown'],
  internal: ['unknown'],
  revoked: ['invalid_token'],
  revocation_unavailable: ['invalid_token'],
  subject_mismatch: ['invalid_token'],
  identity_required: ['invalid_token'],
  session_limit: ['invalid_token'],
  claim_required: ['forbidden'],
  rate_limited: ['unknown'],
} as const satisfies Record<ErrorReason, readonly ErrorCode[]>;

type CodeFor<R extends ErrorReason> = (typeof CODES_BY_REASON)[R][number];

/** The compiler holds each factory to the table above. */
function refusal<R extends ErrorReason>(code: CodeFor<R>, reason: R, message: string, cause?: unknown): UnauthorizedError {
  return new UnauthorizedError(code, reason, message, cause === undefined ? undefined : { cause });
}

// ───────────────────────────── the token itself ─────────────────────────────

export const expired = (cause?: unknown) => refusal('invalid_token', 'expired', 'jwt expired', cause);

export const notYetValid = (cause?: unknown) => refusal('invalid_token', 'not_yet_valid', 'jwt not active', cause);

/** Not a JWT, or not one of the shapes sockjwt accepts; `message` says which. */
export const malformed = (message = 'jwt malformed', cause?: unknown) => refusal('invalid_token', 'malformed', message, cause);

/** socketio-jwt's text for a value that is not a string. */
export const notAString = () => malformed('invalid token datatype');

export const badSignature = (cause?: unknown) => refusal('invalid_token', 'bad_signature', 'invalid signature', cause);

/** jsonwebtoken's text for a token with an empty signature (socketio-jwt's tests assert it). */
export const signatureRequired = () => refusal('invalid_token', 'bad_signature', 'jwt signature is required');

export const algorithmNotAllowed = (cause?: unknown) => refusal('invalid_token', 'algorithm_not_allowed', 'invalid algorithm', cause);

export const noMatchingKey = (message = 'no key matches the token', cause?: unknown) => refusal('invalid_token', 'no_matching_key', message, cause);

/** A claim fails a check (`aud`, `iss`, `typ`, `iat` type, a reserved key, a refresh dropping `exp`). */
export const claimInvalid = (message = 'jwt claim invalid', cause?: unknown) => refusal('invalid_token', 'claim_invalid', message, cause);

/** With `issuers`: the token's `iss` selects none of them (it is never used to fetch anything). */
export const unknownIssuer = () => claimInvalid('The iss claim names no trusted issuer.');

export const tooLarge = (maxTokenLength: number) => refusal('invalid_token', 'too_large', `token is longer than ${maxTokenLength} characters`);

// ───────────────────────────── credentials ─────────────────────────────

export const credentialsRequired = () => refusal('credentials_required', 'missing', 'no token provided');

export const authorizationHeaderRequired = () => refusal('missing_authorization_header', 'missing', 'Server requires Authorization Header');

export const badAuthorizationHeader = () => refusal('credentials_bad_format', 'malformed', 'Format is Authorization: Bearer [token]');

/** A handshake `auth` or `query` carrying `__proto__`, `constructor` or `prototype` (socket/handshake.ts). */
export const reservedHandshakeKey = (where: 'auth' | 'query', key: string) => refusal('credentials_bad_format', 'malformed', `handshake ${where} uses the reserved key "${key}"`);

// ───────────────────────────── keys ─────────────────────────────

/** No key could be had. The client reads `message`; what went wrong (`cause`) goes to the logger. */
export const keyUnavailable = (message: string, cause?: unknown) => refusal('invalid_secret', 'key_unavailable', message, cause);

// ───────────────────────────── the app's hooks ─────────────────────────────

/** `additional_auth` said no. Its code, when it gave one, is passed through as socketio-jwt did. */
export function rejected(message: string, code: string = 'unknown', cause?: unknown): UnauthorizedError {
  return new UnauthorizedError(code, 'rejected', message, cause === undefined ? undefined : { cause });
}

/** A hook failed: the client reads `message`, the failure stays on the server (`cause`). */
export const internal = (message = 'authentication failed', cause?: unknown) => refusal('unknown', 'internal', message, cause);

export const hookTimedOut = (message: string, cause?: unknown) => refusal('unknown', 'timeout', message, cause);

export const authenticationTimeout = (timeoutMs: number) => refusal('authentication_timeout', 'timeout', `no valid authenticate message within ${timeoutMs} ms`);

// ───────────────────────────── revocation ─────────────────────────────

export const revoked = () => refusal('invalid_token', 'revoked', 'jwt revoked');

export const revocationUnavailable = (cause?: unknown) => refusal('invalid_token', 'revocation_unavailable', 'revocation status could not be checked', cause);

// ───────────────────────────── the live session ─────────────────────────────

export const subjectMismatch = () => refusal('invalid_token', 'subject_mismatch', 'the new token is for another subject');

/** A `sub` is unique only within its issuer: a refresh may not cross issuers. */
export const issuerMismatch = () => refusal('invalid_token', 'subject_mismatch', 'the new token is from another issuer');

export const identityRequired = (claim: string) =>
  refusal('invalid_token', 'identity_required', `neither token has a "${claim}" claim, so the refresh cannot prove it is for the same user`);

export const expiryDropped = () => claimInvalid('the new token must have an exp claim, as the current one has');

export const sessionLimit = (maxSessionMs: number) =>
  refusal('invalid_token', 'session_limit', `the session reached its maximum length (${maxSessionMs} ms); reconnect with a fresh token`);

export const claimRequired = (kind: 'event' | 'room', label: string) => refusal('forbidden', 'claim_required', `${kind} "${label}" requires claims this token does not have`);

// ───────────────────────────── limits ─────────────────────────────

export function rateLimited(retryAfterMs: number, message: string): UnauthorizedError {
  return new UnauthorizedError('unknown', 'rate_limited', message, { retryAfterMs: Math.ceil(retryAfterMs) });
}

export const busy = () => refusal('unknown', 'rate_limited', 'the previous authenticate is still being verified');
