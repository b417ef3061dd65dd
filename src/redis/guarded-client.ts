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

const SUBSCRIBE_METHODS = new Set(['subscribe', 'pSubscribe', 'sSubscribe', 'SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE']);

/**
 * A view of a client whose subscriptions wait until `ready`. A node-redis cluster refuses
 * commands before it knows its slots (ClientOfflineError), where a single client would queue
 * them, and the socket.io adapters subscribe once, at construction: without the wait a node
 * started before its Redis Cluster answers would never hear the others.
 */
export function subscribingWhenReady<T extends object>(client: T, ready: Promise<void>): T {
  return new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function' || !SUBSCRIBE_METHODS.has(String(property))) return value;
      return (...args: unknown[]) => ready.then(() => value.apply(target, args));
    },
  });
}
