/**
 * Settles like `work`, or rejects once `ms` have passed, so an app hook or a key lookup that
 * never answers cannot hold a handshake open. The timer is cleared either way; a late
 * failure of `work` is swallowed, since nobody is left to hear it.
 */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

export function within<T>(work: PromiseLike<T> | T, ms: number, what: string): Promise<T> {
  const promise = Promise.resolve(work);
  promise.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
