/**
 * A view of a Redis client whose command promises are never left unhandled.
 *
 * `@socket.io/redis-adapter` publishes and subscribes without handling the promises
 * node-redis returns; when Redis goes away those reject, and Node ends the process on an
 * unhandled rejection. Through this view each promise gets a handler that reports the
 * failure, while callers that await it still see it fail.
 */
export function withHandledRejections<T extends object>(client: T, onRejected: (error: unknown) => void): T {
  return new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = value.apply(target, args);
        if (result instanceof Promise) result.catch(onRejected);
        return result;
      };
    },
  });
}
