import { ERROR_REASONS, UnauthorizedError, type ErrorReason, type UnauthorizedErrorData } from '../lib/errors.js';

/** Reasons a fresh token (or simply trying again) can fix; anything else stops the helper. */
const RETRYABLE: ReadonlySet<ErrorReason> = new Set([
  'expired',
  'not_yet_valid',
  'key_unavailable',
  'revocation_unavailable',
  'timeout',
  'internal',
  'rate_limited',
  'missing',
]);

/** Turns the wire form (`err.data` of `connect_error`, or an `unauthorized` payload) back into a typed error. */
export function toUnauthorizedError(wire: unknown): UnauthorizedError | undefined {
  const data = ((wire as { data?: unknown } | null)?.data ?? wire) as Partial<UnauthorizedErrorData> | null;
  if (!data || data.type !== 'UnauthorizedError' || typeof data.code !== 'string') return undefined;
  const reason = (ERROR_REASONS as readonly string[]).includes(data.reason ?? '') ? (data.reason as ErrorReason) : 'internal';
  const retryAfterMs = typeof data.retryAfterMs === 'number' && data.retryAfterMs > 0 ? data.retryAfterMs : undefined;
  return new UnauthorizedError(data.code, reason, typeof data.message === 'string' ? data.message : data.code, retryAfterMs === undefined ? undefined : { retryAfterMs });
}

/** At least this long before trying again: the server says when (`rate_limited`), else 0. */
export function retryAfter(error: UnauthorizedError | undefined): number {
  return error?.data.retryAfterMs ?? 0;
}

export function isRetryable(error: UnauthorizedError): boolean {
  return RETRYABLE.has(error.reason);
}
