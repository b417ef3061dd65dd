import type pg from 'pg';

/**
 * The pool as `@socket.io/postgres-adapter` gets it. The adapter checks out one connection
 * for its `LISTEN` and keeps it, with no `error` listener: when PostgreSQL dies that connection
 * emits `error`, and Node ends the process on an unhandled one. When it ends, the adapter opens
 * another without returning the dead one, and the pool counts it as busy forever: a pool of ten
 * would stop after ten outages. Through this view each connection it checks out gets a
 * listener that reports the failure, and a dead one is handed back to the pool to be discarded.
 */
export function guardedPool(pool: pg.Pool, onError: (error: unknown) => void): pg.Pool {
  const connect = async () => {
    const client = await pool.connect();
    client.on('error', onError);
    client.once('end', () => {
      try {
        client.release(new Error('connection ended')); // discarded, not reused
      } catch {
        // already released by the adapter (its close), nothing to discard
      }
    });
    return client;
  };
  return new Proxy(pool, {
    get(target, property) {
      if (property === 'connect') return connect;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
