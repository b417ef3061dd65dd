/** Reading what app-supplied functions (secret, additional_auth) return or throw. */

export function isThenable<T = unknown>(value: unknown): value is PromiseLike<T> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}

/** A human-readable message from whatever was thrown or passed to a callback. */
export function messageOf(error: unknown, fallback: string): string {
  if (typeof error === 'string' && error) return error;
  if (error instanceof Error && error.message) return error.message;
  return fallback;
}
