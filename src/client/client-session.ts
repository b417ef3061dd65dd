import { Emitter } from '@socket.io/component-emitter';
import type { Socket } from 'socket.io-client';
import { UnauthorizedError } from '../lib/errors.js';
import { isRetryable, retryAfter, toUnauthorizedError } from './client-error.js';
import { readExpiry, refreshDelay } from './token-expiry.js';

/** Supplies a current token: from memory, a refresh endpoint, an auth SDK. */
export type GetToken = () => string | PromiseLike<string>;

export interface ClientSessionSettings {
  getToken: GetToken;
  mode: 'handshake' | 'message';
  refreshLeadMs: number;
  ackTimeoutMs: number;
  maxRetries: number;
  retryDelayMs: number;
}

export interface AuthenticatedInfo {
  /** The accepted token's `exp` (seconds), or null if it has none. */
  exp: number | null;
  /** True for an in-place refresh, false for a (re)connection. */
  refreshed: boolean;
}

/** The helper's own events, apart from the server's. */
export interface ClientSessionEvents {
  /** A token was accepted: at connect, after a reconnection, or in place. */
  authenticated: (info: AuthenticatedInfo) => void;
  /** The server refused a token or dropped the socket; the helper retries if a new token can fix it. */
  unauthorized: (error: UnauthorizedError) => void;
  /** The helper gave up: the error is one a new token cannot fix, or retries ran out. */
  stopped: (error: Error) => void;
}

type Timer = ReturnType<typeof setTimeout>;

const MIN_REFRESH_DELAY_MS = 1000;
const MAX_RETRY_DELAY_MS = 30_000;

interface AuthenticateAck {
  ok?: boolean;
  exp?: number | null;
}

/**
 * Keeps one client socket authenticated: a fresh token on every (re)connection, an
 * in-place refresh before `exp`, a reconnection with a new token when the server drops
 * the socket for a reason a new token fixes, and a clear stop when it cannot.
 */
export class ClientSession extends Emitter<ClientSessionEvents, ClientSessionEvents> {
  private socket!: Socket;
  private refreshTimer: Timer | undefined;
  private retryTimer: Timer | undefined;
  private failures = 0;
  private lastError: UnauthorizedError | undefined;
  private lastToken: string | undefined;
  private stoppedWith: Error | undefined;
  private exp: number | null = null;
  private closed = false;

  constructor(private readonly settings: ClientSessionSettings) {
    super();
  }

  /** When the current token expires (ms since the epoch), or null. */
  get expiresAt(): number | null {
    return this.exp === null ? null : this.exp * 1000;
  }

  /** Set once the helper has given up; the socket stays disconnected. */
  get stopped(): Error | undefined {
    return this.stoppedWith;
  }

  bind(socket: Socket): void {
    this.socket = socket;
    socket.on('connect', () => this.onConnect());
    socket.on('connect_error', (error) => this.onConnectError(error));
    socket.on('unauthorized', (wire: unknown) => this.onUnauthorized(wire));
    socket.on('disconnect', (reason) => this.onDisconnect(reason));
  }

  /** socket.io-client's `auth` callback: runs before every connection attempt. */
  handshakeAuth(callback: (data: object) => void): void {
    this.fetchToken().then(
      (token) => callback({ token }),
      (error: unknown) => {
        callback({});
        this.stop(asError(error));
      },
    );
  }

  /** The app closed the socket: no refresh or reconnection may follow. */
  close(): void {
    this.closed = true;
    this.clearRefreshTimer();
    this.clearRetryTimer();
  }

  /** Refreshes the token now, in place. Resolves true if the server accepted the new token. */
  async refresh(): Promise<boolean> {
    this.clearRefreshTimer();
    if (!this.socket.connected || this.stoppedWith || this.closed) return false;
    let token: string;
    try {
      token = await this.fetchToken();
    } catch (error) {
      this.scheduleRefreshRetry();
      return false;
    }
    const accepted = await this.sendAuthenticate(token);
    if (accepted) this.accepted(token, true);
    else if (!this.lastError || isRetryable(this.lastError)) this.scheduleRefreshRetry();
    return accepted;
  }

  private async onConnect(): Promise<void> {
    if (this.settings.mode === 'handshake') return this.accepted(this.lastToken, false);
    let token: string;
    try {
      token = await this.fetchToken();
    } catch (error) {
      return this.stop(asError(error));
    }
    // A refusal arrives as `unauthorized` and a server disconnect, which decide what happens next.
    if (await this.sendAuthenticate(token)) this.accepted(token, false);
  }

  private onConnectError(error: Error & { data?: unknown }): void {
    // socket.active: socket.io-client is retrying by itself (a transport error, not a refusal).
    if (this.socket.active || this.stoppedWith) return;
    const refusal = toUnauthorizedError(error.data);
    if (!refusal) return this.stop(error);
    this.lastError = refusal;
    this.emit('unauthorized', refusal);
    this.retryOrStop();
  }

  private onUnauthorized(wire: unknown): void {
    const error = toUnauthorizedError(wire);
    if (!error) return;
    this.lastError = error;
    this.emit('unauthorized', error);
  }

  private onDisconnect(reason: string): void {
    this.clearRefreshTimer();
    if (reason === 'io client disconnect') return this.clearRetryTimer();
    // Any other reason is a lost transport, which socket.io-client reconnects by itself.
    if (reason !== 'io server disconnect') return;
    if (this.lastError) return this.retryOrStop();
    this.stop(new Error('disconnected by the server'));
  }

  private retryOrStop(): void {
    if (this.closed) return;
    const error = this.lastError!;
    if (!isRetryable(error)) return this.stop(error);
    if (++this.failures > this.settings.maxRetries) return this.stop(error);
    // An expiry is fixed by the next token at once; anything else backs off.
    const backOff = error.reason === 'expired' && this.failures === 1 ? 0 : Math.min(this.settings.retryDelayMs * 2 ** (this.failures - 1), MAX_RETRY_DELAY_MS);
    // A rate-limited client waits as long as the server says; trying sooner only counts against it.
    const delay = Math.max(backOff, retryAfter(error));
    this.clearRetryTimer();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.socket.connect();
    }, delay);
  }

  private sendAuthenticate(token: string): Promise<boolean> {
    return new Promise((resolve) => {
      this.socket.timeout(this.settings.ackTimeoutMs).emit('authenticate', { token }, (timeout: Error | null, ack?: AuthenticateAck) => {
        resolve(!timeout && ack?.ok === true);
      });
    });
  }

  private accepted(token: string | undefined, refreshed: boolean): void {
    this.failures = 0;
    this.lastError = undefined;
    this.exp = token ? readExpiry(token) : null;
    this.emit('authenticated', { exp: this.exp, refreshed });
    this.scheduleRefresh();
  }

  private scheduleRefresh(): void {
    this.clearRefreshTimer();
    if (this.exp === null) return;
    const delay = Math.max(refreshDelay(this.exp, this.settings.refreshLeadMs), MIN_REFRESH_DELAY_MS);
    this.refreshTimer = setTimeout(() => void this.refresh(), delay);
  }

  /** A failed refresh is tried again while the current token still holds. */
  private scheduleRefreshRetry(): void {
    if (this.exp === null) return;
    const remaining = this.exp * 1000 - Date.now();
    if (remaining <= 0) return;
    this.clearRefreshTimer();
    const delay = Math.max(Math.min(this.settings.retryDelayMs, remaining / 2), retryAfter(this.lastError));
    if (delay >= remaining) return;
    this.refreshTimer = setTimeout(() => void this.refresh(), delay);
  }

  private async fetchToken(): Promise<string> {
    const token = await this.settings.getToken();
    if (typeof token !== 'string' || token.length === 0) throw new TypeError('sockjwt/client: getToken() must return a non-empty string');
    this.lastToken = token;
    return token;
  }

  private stop(error: Error): void {
    if (this.stoppedWith) return;
    this.stoppedWith = error;
    this.clearRefreshTimer();
    this.clearRetryTimer();
    if (this.socket.connected || this.socket.active) this.socket.disconnect();
    this.emit('stopped', error);
  }

  private clearRefreshTimer(): void {
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  private clearRetryTimer(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}


