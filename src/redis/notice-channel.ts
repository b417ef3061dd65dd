import { clientKind, isClusterClient, lacksShardedSubscribers, type RedisCommandClient } from './command-client.js';

/**
 * Listens to one Redis pub/sub channel on a connection of its own, whichever library made it.
 *
 * On a Redis Cluster, sharded pub/sub (SSUBSCRIBE): the channel shares the store's hash tag, so
 * the notice is published (SPUBLISH) and heard on the one shard holding the rules, not forwarded
 * to every master over the cluster bus, which added 20–40 ms to some deliveries. A cluster whose
 * shard refuses SSUBSCRIBE (Redis before 7) refuses SPUBLISH in the store's script as well, and
 * both sides fall back to classic pub/sub. On a single Redis or Sentinel, classic SUBSCRIBE: there
 * is no bus to skip.
 */
export interface NoticeChannel {
  /** Resolves once subscribed; never rejects (a failure is retried by the client on reconnection). */
  readonly ready: Promise<void>;
  /** Calls `listener` whenever the connection is ready again: notices may have been missed. */
  onReady(listener: () => void): void;
  stop(): void;
}

type Listener = (...args: unknown[]) => void;
type Hear = (message: string) => void;
interface Subscriber {
  on(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
  once(event: string, listener: Listener): unknown;
  isReady?: boolean;
  subscribe(channel: string, listener?: Hear): Promise<unknown>;
  unsubscribe(channel: string, listener?: Hear): Promise<unknown>;
  // node-redis
  sSubscribe?(channel: string, listener: Hear): Promise<unknown>;
  sUnsubscribe?(channel: string, listener: Hear): Promise<unknown>;
  // ioredis
  ssubscribe?(channel: string): Promise<unknown>;
  sunsubscribe?(channel: string): Promise<unknown>;
}

/** How one library subscribes, sharded or classic; `stop` undoes what `start` did. */
interface Subscription {
  start(): Promise<unknown>;
  stop(): void;
}

export function listenForNotices(client: RedisCommandClient, channel: string, hear: Hear): NoticeChannel {
  const kind = clientKind(client);
  if (kind === undefined) throw new TypeError('sockjwt/redis: "subscriber" must be a node-redis client or cluster, or an ioredis client or cluster');
  if (lacksShardedSubscribers(client)) throw new TypeError('sockjwt/redis: "subscriber" is an ioredis Cluster without its option `shardedSubscribers: true`: revocation notices use SSUBSCRIBE, which never reaches the shards without it');
  const subscriber = client as unknown as Subscriber;
  const readyEvents = kind === 'node-redis-cluster' ? ['connect', 'node-ready'] : ['ready'];
  const readyListeners: Listener[] = [];
  const [sharded, classic] = kind === 'ioredis' ? ioredisSubscriptions(subscriber, channel, hear) : nodeRedisSubscriptions(subscriber, channel, hear);
  let subscription = isClusterClient(client) ? sharded : classic;
  const subscribe = () =>
    subscription.start().catch((error: unknown) => {
      if (subscription === classic || !/unknown command/i.test(String(error))) throw error;
      subscription = classic; // the shard has no sharded pub/sub: neither has the script that publishes
      return classic.start();
    });
  // A node-redis cluster refuses SUBSCRIBE before it knows its slots; a client queues it.
  const connected = kind === 'node-redis-cluster' && !subscriber.isReady ? new Promise<void>((resolve) => subscriber.once('connect', () => resolve())) : Promise.resolve();
  return {
    ready: connected.then(subscribe).then(() => {}, () => {}),
    onReady(listener) {
      for (const event of readyEvents) subscriber.on(event, listener);
      readyListeners.push(listener);
    },
    stop() {
      subscription.stop();
      for (const listener of readyListeners) for (const event of readyEvents) subscriber.off(event, listener);
    },
  };
}

function nodeRedisSubscriptions(subscriber: Subscriber, channel: string, hear: Hear): [Subscription, Subscription] {
  return [
    { start: () => subscriber.sSubscribe!(channel, hear), stop: () => void subscriber.sUnsubscribe!(channel, hear).catch(() => {}) },
    { start: () => subscriber.subscribe(channel, hear), stop: () => void subscriber.unsubscribe(channel, hear).catch(() => {}) },
  ];
}

function ioredisSubscriptions(subscriber: Subscriber, channel: string, hear: Hear): [Subscription, Subscription] {
  const onMessage = (from: unknown, message: unknown) => {
    if (from === channel) hear(String(message));
  };
  const via = (event: string, start: () => Promise<unknown>, stop: () => Promise<unknown>): Subscription => ({
    start() {
      subscriber.on(event, onMessage);
      return start().catch((error: unknown) => {
        subscriber.off(event, onMessage);
        throw error;
      });
    },
    stop() {
      subscriber.off(event, onMessage);
      stop().catch(() => {});
    },
  });
  return [
    via('smessage', () => subscriber.ssubscribe!(channel), () => subscriber.sunsubscribe!(channel)),
    via('message', () => subscriber.subscribe(channel), () => subscriber.unsubscribe(channel)),
  ];
}
