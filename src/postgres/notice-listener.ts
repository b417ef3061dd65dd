import { DeadlineError } from '../util/deadline.js';

/**
 * The one connection a node listens on (`LISTEN`), kept open for as long as the store lives.
 * Written against a narrow connection shape so that its transitions are tested with a fake
 * connection and a fake clock (test/unit/postgres/notice-listener.test.ts):
 *
 *   idle ──start──▶ connecting ──connected, prepared, LISTEN──▶ listening
 *                       │   ▲                                   │
 *                  failure  └──────retry timer── waiting ◀──────┘ error, end, or a heartbeat unanswered
 *   any ──close──▶ closed
 *
 * A connection that dies without a word (a cut cable, a frozen server) is noticed by the
 * heartbeat: a `SELECT 1` every `heartbeatMs`, bounded by `timeoutMs`.
 */
export type ListenerState = 'idle' | 'connecting' | 'listening' | 'waiting' | 'closed';

/** What the listener needs of a `pg.Client`. */
export interface ListenConnection {
  connect(): Promise<unknown>;
  query(text: string, values?: unknown[]): Promise<unknown>;
  on(event: 'notification', listener: (message: { channel: string; payload?: string | undefined }) => void): unknown;
  on(event: 'error' | 'end', listener: (error?: unknown) => void): unknown;
  end(): Promise<unknown>;
}

export interface NoticeListenerOptions {
  /** A new, unconnected connection; called once per attempt. */
  open: () => ListenConnection;
  /** The channel, already validated as an identifier (see schema.ts). */
  channel: string;
  /** Runs on each new connection before LISTEN (creating the table, when the store does). */
  prepare?: (connection: ListenConnection) => Promise<void>;
  hear: (payload: string) => void;
  /** Listening again: notices sent meanwhile were lost. Also called on the first success. */
  onListening: () => void;
  /** Every failure, whether or not it was listening. */
  onFailure: (error: unknown) => void;
  /** Bound on connecting, preparing, LISTEN and each heartbeat (ms). */
  timeoutMs: number;
  heartbeatMs: number;
  /** Delays between attempts (ms): the first, doubled on each failure up to the last. */
  retryMinMs: number;
  retryMaxMs: number;
}

export class NoticeListener {
  private current: ListenerState = 'idle';
  private connection: ListenConnection | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The deadline of the step in flight (connect, prepare, LISTEN, a heartbeat): close() ends it. */
  private deadline: { timer: NodeJS.Timeout; abort: (error: Error) => void } | undefined;
  private failures = 0;
  private listeningResolvers: (() => void)[] = [];

  constructor(private readonly options: NoticeListenerOptions) {}

  get state(): ListenerState {
    return this.current;
  }

  /** Resolves the next time it is listening (at once if it is). Never rejects. */
  whenListening(): Promise<void> {
    if (this.current === 'listening') return Promise.resolve();
    return new Promise((resolve) => this.listeningResolvers.push(resolve));
  }

  start(): void {
    if (this.current !== 'idle') return;
    void this.connect();
  }

  async close(): Promise<void> {
    if (this.current === 'closed') return;
    this.current = 'closed';
    clearTimeout(this.timer);
    this.deadline?.abort(new Error('closed'));
    const connection = this.connection;
    this.connection = undefined;
    for (const resolve of this.listeningResolvers.splice(0)) resolve();
    await connection?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    this.current = 'connecting';
    const connection = this.options.open();
    this.connection = connection;
    connection.on('error', (error) => this.lost(connection, error ?? new Error('connection error')));
    connection.on('end', () => this.lost(connection, new Error('connection ended')));
    connection.on('notification', (message) => {
      if (this.connection === connection && message.channel === this.options.channel && message.payload !== undefined) this.options.hear(message.payload);
    });
    try {
      await this.bounded(connection.connect());
      if (this.connection !== connection) return;
      await this.bounded(this.options.prepare?.(connection));
      if (this.connection !== connection) return;
      await this.bounded(connection.query(`LISTEN "${this.options.channel}"`));
    } catch (error) {
      return this.lost(connection, error);
    }
    if (this.connection !== connection) return;
    this.current = 'listening';
    this.failures = 0;
    this.armHeartbeat(connection);
    for (const resolve of this.listeningResolvers.splice(0)) resolve();
    this.options.onListening();
  }

  private armHeartbeat(connection: ListenConnection): void {
    this.timer = setTimeout(() => {
      this.bounded(connection.query('SELECT 1')).then(
        () => this.connection === connection && this.armHeartbeat(connection),
        (error: unknown) => this.lost(connection, error),
      );
    }, this.options.heartbeatMs);
    this.timer.unref();
  }

  /** Settles like `work`, or fails after `timeoutMs`, or when the listener closes: no timer outlives close(). */
  private bounded<T>(work: Promise<T> | undefined): Promise<T | undefined> {
    if (work === undefined) return Promise.resolve(undefined);
    return new Promise<T>((resolve, reject) => {
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        if (this.deadline?.timer === timer) this.deadline = undefined;
        settle();
      };
      const timer = setTimeout(() => finish(() => reject(new DeadlineError(`PostgreSQL did not answer within ${this.options.timeoutMs} ms`))), this.options.timeoutMs);
      timer.unref();
      this.deadline = { timer, abort: (error) => finish(() => reject(error)) };
      work.then((value) => finish(() => resolve(value)), (error: unknown) => finish(() => reject(error)));
    });
  }

  /** The connection failed: drop it and try again after a delay. Reports from an old connection are ignored. */
  private lost(connection: ListenConnection, error: unknown): void {
    if (this.connection !== connection || this.current === 'closed') return;
    this.connection = undefined;
    clearTimeout(this.timer);
    connection.end().catch(() => {});
    this.current = 'waiting';
    const delay = Math.min(this.options.retryMaxMs, this.options.retryMinMs * 2 ** this.failures++);
    this.timer = setTimeout(() => void this.connect(), delay);
    this.timer.unref();
    this.options.onFailure(error);
  }
}
