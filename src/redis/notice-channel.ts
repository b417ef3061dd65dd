import { clientKind, type RedisCommandClient } from './command-client.js';

/**
 * Listens to one Redis pub/sub channel on a connection of its own, whichever library made it.
 * Classic SUBSCRIBE, also on a Redis Cluster (there every PUBLISH reaches every node, which
 * revocations, rare next to broadcasts, can afford).
 */
export interface NoticeChannel {
  /** Resolves once subscribed; never rejects (a failure is retried by the client on reconnection). */
  readonly ready: Promise<void>;
  /** Calls `listener` whenever the connection is ready again: notices may have been missed. */
  onReady(listener: () => void): void;
  stop(): void;
}

type Listener = (...args: unknown[]) => void;
interface Subscriber {
  on(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
  once(event: string, listener: Listener): unknown;
  isReady?: boolean;
  subscribe(channel: string, listener?: (message: string) => void): Promise<unknown>;
  unsubscribe(channel: string, listener?: (message: string) => void): Promise<unknown>;
}

export function listenForNotices(client: RedisCommandClient, channel: string, hear: (message: string) => void): NoticeChannel {
  const kind = clientKind(client);
  if (kind === undefined) throw new TypeError('sockjwt/redis: "subscriber" must be a node-redis client or cluster, or an ioredis client or cluster');
  const subscriber = client as unknown as Subscriber;
  const readyListeners: Listener[] = [];
  const onReady = (listener: () => void) => {
    const events = kind === 'node-redis-cluster' ? ['connect', 'node-ready'] : ['ready'];
    for (const event of events) subscriber.on(event, listener);
    readyListeners.push(listener);
  };
  if (kind === 'ioredis') {
    const onMessage = (from: unknown, message: unknown) => {
      if (from === channel) hear(String(message));
    };
    subscriber.on('message', onMessage);
    return {
      ready: subscriber.subscribe(channel).then(() => {}, () => {}),
      onReady,
      stop() {
        subscriber.off('message', onMessage);
        subscriber.unsubscribe(channel).catch(() => {});
      },
    };
  }
  // A node-redis cluster refuses SUBSCRIBE before it knows its slots; a client queues it.
  const connected = kind === 'node-redis-cluster' && !subscriber.isReady ? new Promise<void>((resolve) => subscriber.once('connect', () => resolve())) : Promise.resolve();
  return {
    ready: connected.then(() => subscriber.subscribe(channel, hear)).then(() => {}, () => {}),
    onReady,
    stop() {
      subscriber.unsubscribe(channel, hear).catch(() => {});
      for (const listener of readyListeners) for (const event of ['ready', 'connect', 'node-ready']) subscriber.off(event, listener);
    },
  };
}
