import { ERROR_REASONS, UnauthorizedError } from '../errors/errors.js';
import type { ErrorReason, UnauthorizedErrorData } from '../types.js';

/**
 * Reasons a fresh token (or simply trying again) can fix, at connect or after a drop; anything else
 * stops the helper. docs/protocol.md §7 is the table; test/protocol.test.ts walks it.
 */
const RETRYABLE: ReadonlySet<ErrorReason> = new Set([
  'expired',
  'not_yet_valid',
  'key_unavailable',
  'revocation_unavailable',
  'timeout',
  'internal',
  'rate_limited',
  'missing',
  'session_limit',
]);

/** Reasons after which a new connection is tried at once, the first time: the next token fixes them. */
const RECONNECT_NOW: ReadonlySet<ErrorReason> = new Set(['expired', 'session_limit']);

/** A refused in-place refresh is tried again only for these; for any other the socket keeps its token. */
const REFRESH_RETRYABLE: ReadonlySet<ErrorReason> = new Set([...RETRYABLE].filter((reason) => reason !== 'session_limit'));

/**
 * Why the helper itself (not the server's token check) could not go on; the vocabulary of
 * docs/protocol.md §8.4, shared with the Python helper:
 * - `token_unavailable`: `getToken()` threw, rejected, or gave no string;
 * - `token_timeout`: `getToken()` did not settle within `getTokenTimeoutMs`;
 * - `ack_timeout`: the server did not answer an `authenticate` within `ackTimeoutMs`;
 * - `connect_refused`: a `connect_error` that is not sockjwt's (another middleware of the app refused);
 * - `server_disconnect`: the server disconnected the socket without `unauthorized` (the app's decision);
 * - `connection_lost`: the transport was lost and socket.io-client will not reconnect (its
 *   reconnection is off, or it gave up after `reconnectionAttempts`).
 */
export type ClientErrorReason = 'token_unavailable' | 'token_timeout' | 'ack_timeout' | 'connect_refused' | 'server_disconnect' | 'connection_lost';

/**
 * A failure of the client side of a session; `reason` says which, `cause` holds what was thrown.
 *
 * @example
 * ```ts
 * socket.session.on('stopped', (error) => {
 *   if (error instanceof ClientSessionError && error.reason === 'token_unavailable') showLogin();
 * });
 * ```
 */
export class ClientSessionError extends Error {
  override readonly name = 'ClientSessionError';
  /** false when the error says trying again is pointless (a `getToken` error with `retryable: false`). */
  readonly retryable: boolean;
  /** At least this long before trying again (a `getToken` error's `retryAfterMs`), if given. */
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly reason: ClientErrorReason,
    message: string,
    options: { cause?: unknown; retryable?: boolean; retryAfterMs?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable ?? true;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Why a session stopped: the server's refusal, or the helper's own failure. Both have `reason`. */
export type SessionError = UnauthorizedError | ClientSessionError;

/**
 * Turns the wire form (`err.data` of `connect_error`, or an `unauthorized` payload) back into a typed error.
 * Its `reason` is the server's string as sent, which may be one this version does not list in
 * `ERROR_REASONS` (a newer server); one that is missing reads as `internal`.
 *
 * @example
 * ```ts
 * plainSocket.on('connect_error', (err) => {
 *   const refusal = toUnauthorizedError(err);
 *   if (refusal?.reason === 'expired') reconnectWithFreshToken();
 * });
 * ```
 */
export function toUnauthorizedError(wire: unknown): UnauthorizedError | undefined {
  const data = ((wire as { data?: unknown } | null)?.data ?? wire) as Partial<UnauthorizedErrorData> | null;
  if (!data || data.type !== 'UnauthorizedError' || typeof data.code !== 'string') return undefined;
  // A reason this version does not know (a newer server) is kept as sent: the helper acts on it as
  // on `internal` (docs/protocol.md §7) but reports the server's string, never a renamed one.
  const reason = (typeof data.reason === 'string' && data.reason.length > 0 ? data.reason : 'internal') as ErrorReason;
  const retryAfterMs = typeof data.retryAfterMs === 'number' && data.retryAfterMs > 0 ? data.retryAfterMs : undefined;
  return new UnauthorizedError(data.code, reason, typeof data.message === 'string' ? data.message : data.code, retryAfterMs === undefined ? undefined : { retryAfterMs });
}

/** At least this long before trying again: what the server (`rate_limited`) or `getToken` said, else 0. */
export function retryAfter(error: SessionError | undefined): number {
  if (error instanceof ClientSessionError) return error.retryAfterMs ?? 0;
  return error?.data.retryAfterMs ?? 0;
}

/** The reason whose row of docs/protocol.md §7 applies: an unknown one is treated like `internal`. */
function actingReason(reason: string): ErrorReason {
  return (ERROR_REASONS as readonly string[]).includes(reason) ? (reason as ErrorReason) : 'internal';
}

export function isRetryable(error: SessionError): boolean {
  return error instanceof ClientSessionError ? error.retryable : RETRYABLE.has(actingReason(error.reason));
}

export function reconnectsAtOnce(error: SessionError): boolean {
  return error instanceof UnauthorizedError && RECONNECT_NOW.has(actingReason(error.reason));
}

export function isRefreshRetryable(error: SessionError): boolean {
  return error instanceof ClientSessionError ? error.retryable : REFRESH_RETRYABLE.has(actingReason(error.reason));
}

/**
 * What `getToken()` failed with, as a `ClientSessionError`. An error it throws may carry
 * `retryable: false` (stop at once: the user is signed out) and `retryAfterMs` (wait at least that).
 */
export function tokenUnavailable(error: unknown): ClientSessionError {
  const hints = (error ?? {}) as { retryable?: unknown; retryAfterMs?: unknown; message?: unknown };
  const message = typeof hints.message === 'string' ? hints.message : describe(error);
  return new ClientSessionError('token_unavailable', `getToken() failed: ${message}`, {
    cause: error,
    retryable: hints.retryable !== false,
    retryAfterMs: typeof hints.retryAfterMs === 'number' && hints.retryAfterMs > 0 ? hints.retryAfterMs : undefined,
  });
}

function describe(value: unknown): string {
  try {
    return String(value);
  } catch {
    return 'an unprintable value';
  }
}
