import type pg from 'pg';

/** The pool view `@socket.io/postgres-adapter` gets, and the way to take back what it holds. */
export interface GuardedPool {
  readonly pool: pg.Pool;
  /** Discards the connections the adapter still holds; later checkouts never complete. */
  close(): void;
}

/**
 * The pool as `@socket.io/postgres-adapter` gets it. The adapter checks out one connection
 * for its `LISTEN` and keeps it, with no `error` listener: when PostgreSQL dies that connection
 * emits `error`, and Node ends the process on an unhandled one. When it ends, the adapter opens
 * another without returning the dead one, and the pool counts it as busy forever: a pool of ten
 * would stop after ten outages. Through this view each connection it checks out gets a
 * listener that reports the failure, and a dead one is handed back to the pool to be discarded.
 *
 * The adapter also loses a connection it is still opening when the server closes (its close()
 * releases only one it already has), and it retries a failed checkout on a timer its close()
 * has already cleared. `close()` therefore discards what it holds, and answers every later
 * checkout with a promise that never settles: the adapter waits, with no socket and no timer.
 */
export function guardedPool(pool: pg.Pool, onError: (error: unknown) => void): GuardedPool {
  const held = new Set<pg.PoolClient>();
  let closed = false;
  const discard = (client: pg.PoolClient, why: string) => {
    held.delete(client);
    try {
      client.release(new Error(why)); // an Error: the pool discards the connection, it does not reuse it
    } catch {
      // already released by the adapter, nothing to discard
    }
  };
  const connect = async () => {
    if (closed) return new Promise<never>(() => {});
    const client = await pool.connect();
    if (closed) {
      discard(client, 'sockjwt/postgres closed');
      return new Promise<never>(() => {});
    }
    held.add(client);
    const release = client.release.bind(client);
    client.release = (error?: Error | boolean) => (held.delete(client), release(error));
    client.on('error', onError);
    client.once('end', () => discard(client, 'connection ended'));
    return client;
  };
  const view = new Proxy(pool, {
    get(target, property) {
      if (property === 'connect') return connect;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    pool: view,
    close() {
      closed = true;
      for (const client of [...held]) discard(client, 'sockjwt/postgres closed');
    },
  };
}
