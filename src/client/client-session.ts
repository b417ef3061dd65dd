import { Emitter } from '@socket.io/component-emitter';
import type { Socket } from 'socket.io-client';
import { UnauthorizedError } from '../errors/errors.js';
import { ClientSessionError, isRefreshRetryable, isRetryable, reconnectsAtOnce, retryAfter, toUnauthorizedError, tokenUnavailable, type SessionError } from './client-error.js';
import { readExpiry, refreshDelay } from './token-expiry.js';

/** Supplies a current token: from memory, a refresh endpoint, an auth SDK. */
export type GetToken = () => string | PromiseLike<string>;

export interface ClientSessionSettings {
  getToken: GetToken;
  mode: 'handshake' | 'message';
  refreshLeadMs: number;
  ackTimeoutMs: number;
  getTokenTimeoutMs: number;
  maxRetries: number;
  retryDelayMs: number;
}

export interface AuthenticatedInfo {
  /** The accepted token's `exp` (seconds), or null if it has none. */
  exp: number | null;
  /**
   * How long (ms) the server will keep the socket with this token, as the server stated it
   * (from `exp` and this machine's clock when the server does not say); null: no end.
   */
  expiresInMs: number | null;
  /** True for an in-place refresh, false for a (re)connection. */
  refreshed: boolean;
}

/** The helper's own events, apart from the server's. */
export interface ClientSessionEvents {
  /**
   * A token was accepted: at connect, after a reconnection, or in place. In handshake mode the
   * one for a connection waits for the server's lifetime notice, so that `expiresInMs` is the
   * server's; from a server that sends none (older sockjwt), it comes 1 s after the connection.
   */
  authenticated: (info: AuthenticatedInfo) => void;
  /** The server refused a token or dropped the socket; the helper retries if a new token can fix it. */
  unauthorized: (error: UnauthorizedError) => void;
  /** The helper gave up, for good: `error.reason` says why. The socket stays disconnected. */
  stopped: (error: SessionError) => void;
}

type Timer = ReturnType<typeof setTimeout>;

/** No refresh sooner than this after the previous one, whatever the token says. */
const MIN_REFRESH_DELAY_MS = 1000;
/**
 * A refresh that moved the end by less than this did not extend the life (docs/protocol.md §8.2).
 * Refreshes come at least MIN_REFRESH_DELAY_MS apart and `exp` has whole seconds, so a real
 * extension is about 1 s or more; half of that absorbs the two answers' different transit times.
 */
const MIN_EXTENSION_MS = 500;
/** Back-off never grows past this. */
const MAX_RETRY_DELAY_MS = 30_000;
/** Each back-off is stretched by up to this fraction at random, so clients dropped together do not come back together. */
const JITTER = 0.25;
/** Handshake mode: how long after CONNECT the server's `authenticated` notice may take (it follows at once; older servers send none). */
const LIFETIME_NOTICE_WAIT_MS = 1000;

/** What the server says when it accepts a token: the `authenticate` acknowledgement, or the `authenticated` event. */
interface LifetimeNotice {
  ok?: boolean;
  exp?: number | null;
  /** Milliseconds until the server drops the socket, on the server's clock (sockjwt ≥ 0.2); null: never. */
  expiresInMs?: number | null;
}

/** `refusalsAtSend`: `unauthorized` events handled before the `authenticate` went out (see `accepted`). */
type AuthenticateResult = { ok: true; notice: LifetimeNotice; refusalsAtSend: number } | { ok: false; error: SessionError };

/**
 * Whether a refresh moved the server's end (`after`, on `monotonic()`) at least MIN_EXTENSION_MS
 * past where it was (`before`). Less is a capped life (maxSessionMs) or the same token again.
 */
function extendsLife(before: number | null, after: number | null): boolean {
  return before === null || after === null || after - before >= MIN_EXTENSION_MS;
}

/** A clock that only moves forward: the deadline must not move when the wall clock is set. */
const monotonic = (): number => globalThis.performance?.now() ?? Date.now();

/**
 * Keeps one client socket authenticated: a fresh token on every (re)connection, an
 * in-place refresh before the server would drop it, a reconnection with a new token when the
 * server drops the socket for a reason a new token fixes, and a `stopped` with a reason
 * whenever it gives up. Every wait is bounded: `getToken` by `getTokenTimeoutMs`, an
 * `authenticate` by `ackTimeoutMs`, retries by `maxRetries` with exponential back-off.
 *
 * @example
 * ```ts
 * const socket = connect(url, { getToken });
 * socket.session.on('authenticated', ({ expiresInMs, refreshed }) => console.log(refreshed ? 'refreshed' : 'in', expiresInMs));
 * await socket.session.refresh(); // e.g. after the user's roles changed
 * ```
 */
export class ClientSession extends Emitter<ClientSessionEvents, ClientSessionEvents> {
  private socket!: Socket;
  /** socket.io-client's own `disconnect()`; the socket's is wrapped to close this session too. */
  private disconnectSocket!: () => void;
  private refreshTimer: Timer | undefined;
  private retryTimer: Timer | undefined;
  /** Handshake mode: the connection's `authenticated`, held until the server's lifetime notice (or the wait) ends. */
  private noticeTimer: Timer | undefined;
  private refreshing: Promise<boolean> | undefined;
  /** Consecutive failures (refusals, getToken errors, timeouts) since a token was last accepted. */
  private failures = 0;
  private lastError: SessionError | undefined;
  /** `unauthorized` events handled so far. */
  private refusals = 0;
  private lastToken: string | undefined;
  private stoppedWith: SessionError | undefined;
  private exp: number | null = null;
  /** When the server drops the socket, on `monotonic()`; null: unknown or never. */
  private deadline: number | null = null;
  /** Counts connections, so that work begun for one is never applied to the next. */
  private connection = 0;
  /** Counts handshake attempts: a token that comes after its attempt was superseded is not sent. */
  private attempt = 0;
  private closed = false;
  /**
   * An accepted refresh moved the end by less than MIN_EXTENSION_MS: the life is capped
   * (a server's maxSessionMs), so no refresh is scheduled on this connection until the drop.
   */
  private lifeCapped = false;

  constructor(private readonly settings: ClientSessionSettings) {
    super();
  }

  /** When the server will drop the socket with the current token, in ms since the epoch on this machine's clock; or null. */
  get expiresAt(): number | null {
    return this.deadline === null ? null : Math.round(Date.now() + (this.deadline - monotonic()));
  }

  /** Set once the helper has given up; the socket stays disconnected. */
  get stopped(): SessionError | undefined {
    return this.stoppedWith;
  }

  bind(socket: Socket, disconnectSocket: () => void): void {
    this.socket = socket;
    this.disconnectSocket = disconnectSocket;
    socket.on('connect', () => void this.onConnect());
    socket.on('connect_error', (error) => this.onConnectError(error));
    socket.on('unauthorized', (wire: unknown, ack?: unknown) => this.onUnauthorized(wire, ack));
    socket.on('authenticated', (notice: unknown) => this.onLifetimeNotice(notice));
    socket.on('disconnect', (reason) => this.onDisconnect(reason));
    socket.io.on('reconnect_failed', () => this.stop(new ClientSessionError('connection_lost', 'socket.io-client gave up reconnecting')));
  }

  /**
   * socket.io-client's `auth` callback: runs before every connection attempt. If no token
   * can be had, no handshake is sent at all (a token-less one would only count against this
   * address at the server): the attempt is abandoned and tried again after a back-off.
   */
  handshakeAuth(callback: (data: object) => void): void {
    // A transport lost while getToken runs starts a new attempt; the old one's callback would
    // send a second CONNECT on the new transport, which disrupts the connection being made.
    const attempt = ++this.attempt;
    this.fetchToken().then(
      (token) => {
        // lifetime: the server then says how long the socket holds (expiresInMs), whatever this clock says.
        if (attempt === this.attempt && !this.closed && !this.stoppedWith) callback({ token, lifetime: true });
      },
      (error: ClientSessionError) => {
        if (attempt === this.attempt) this.abandonConnection(error);
      },
    );
  }

  /** The app closed the socket: no refresh or reconnection may follow. */
  close(): void {
    this.closed = true;
    this.clearRefreshTimer();
    this.clearRetryTimer();
    this.clearNoticeTimer();
  }

  /**
   * Refreshes the token now, in place. Resolves true if the server accepted the new token;
   * false at once when the socket is not connected (nothing is queued for a later connection).
   */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.refreshNow().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async refreshNow(): Promise<boolean> {
    this.clearRefreshTimer();
    if (!this.usable()) return false;
    const connection = this.connection;
    const current = () => connection === this.connection && this.usable();
    let token: string;
    try {
      token = await this.fetchToken();
    } catch (error) {
      if (current()) this.refreshFailed(error as ClientSessionError);
      return false;
    }
    // The socket was lost meanwhile: an `authenticate` emitted now would be buffered by
    // socket.io-client and sent, stale, on the next connection. That one gets its own token.
    if (!current()) return false;
    const endBefore = this.deadline;
    const result = await this.sendAuthenticate(token);
    if (!current()) return false;
    if (result.ok) this.accepted(token, true, result.notice, { refusalsAtSend: result.refusalsAtSend, endBefore });
    else this.refreshFailed(result.error);
    return result.ok;
  }

  private usable(): boolean {
    return this.socket.connected && !this.stoppedWith && !this.closed;
  }

  private async onConnect(): Promise<void> {
    const connection = ++this.connection;
    this.lifeCapped = false;
    if (this.settings.mode === 'handshake') {
      // Scheduled from exp on this clock for now; told to the app with the server's lifetime.
      this.accepted(this.lastToken, false, undefined, { announce: false });
      this.noticeTimer = setTimeout(() => this.announceConnection(), LIFETIME_NOTICE_WAIT_MS);
      return;
    }
    let token: string;
    try {
      token = await this.fetchToken();
    } catch (error) {
      if (connection === this.connection) this.abandonConnection(error as ClientSessionError);
      return;
    }
    if (connection !== this.connection || !this.usable()) return;
    const result = await this.sendAuthenticate(token);
    if (connection !== this.connection || !this.usable()) return;
    if (result.ok) return this.accepted(token, false, result.notice, { refusalsAtSend: result.refusalsAtSend });
    // A refusal comes with `unauthorized` and a server disconnect, which decide what happens next.
    if (result.error instanceof ClientSessionError) this.abandonConnection(result.error);
  }

  private onConnectError(error: Error & { data?: unknown }): void {
    // socket.active: socket.io-client is retrying by itself (a transport error, not a refusal).
    if (this.socket.active || this.stoppedWith || this.closed) return;
    const refusal = toUnauthorizedError(error.data);
    if (!refusal) return this.stop(new ClientSessionError('connect_refused', `connection refused: ${error.message}`, { cause: error, retryable: false }));
    this.lastError = refusal;
    this.emit('unauthorized', refusal);
    this.retryOrStop(refusal);
  }

  private onUnauthorized(wire: unknown, ack: unknown): void {
    // Message mode: the server holds a refused socket until the client acknowledges (`callback`).
    if (typeof ack === 'function') ack();
    const error = toUnauthorizedError(wire);
    if (!error) return;
    this.refusals++;
    this.lastError = error;
    this.emit('unauthorized', error);
  }

  /**
   * The server's `authenticated` event: in handshake mode the only place it says how long the
   * token holds. `expiresInMs: null` counts (never dropped for its lifetime: no refresh); a
   * notice without it (an older server) changes nothing.
   */
  private onLifetimeNotice(notice: unknown): void {
    const stated = (notice as LifetimeNotice | null)?.expiresInMs;
    if (!this.usable() || (typeof stated !== 'number' && stated !== null)) return;
    this.setLifetime(this.lastToken, notice as LifetimeNotice);
    if (!this.refreshing) this.scheduleRefresh();
    this.announceConnection();
  }

  /** Handshake mode: the connection's `authenticated`, with the lifetime as now known; once. */
  private announceConnection(): void {
    if (this.noticeTimer === undefined) return;
    this.clearNoticeTimer();
    if (!this.usable()) return;
    const expiresInMs = this.deadline === null ? null : Math.max(0, Math.round(this.deadline - monotonic()));
    this.emit('authenticated', { exp: this.exp, expiresInMs, refreshed: false });
  }

  private onDisconnect(reason: string): void {
    this.clearRefreshTimer();
    this.clearNoticeTimer();
    this.deadline = null;
    if (this.stoppedWith || this.closed) return;
    if (reason === 'io client disconnect') return;
    if (reason === 'io server disconnect') {
      return this.retryOrStop(this.lastError ?? new ClientSessionError('server_disconnect', 'disconnected by the server', { retryable: false }), true);
    }
    // A lost transport: socket.io-client reconnects by itself, unless its reconnection is off.
    if (!this.socket.active) this.stop(new ClientSessionError('connection_lost', `connection lost (${reason})`, { retryable: false }));
  }

  /** Gives up this connection attempt, without sending anything, and tries again later. */
  private abandonConnection(error: ClientSessionError): void {
    if (this.stoppedWith || this.closed) return;
    this.disconnectSocket();
    this.retryOrStop(error);
  }

  /** After a refusal or a failure at connect: a new connection after a back-off, or a stop. */
  private retryOrStop(error: SessionError, afterDrop = false): void {
    if (this.closed || this.stoppedWith) return;
    this.lastError = error;
    if (!isRetryable(error) || ++this.failures > this.settings.maxRetries) return this.stop(error);
    // An expiry is fixed by the next token at once; anything else backs off.
    // Also after a drop at expiry that follows failed refreshes in place: the server's drop is
    // the first failure of the new connection, whatever the refreshes counted (docs/protocol.md §7).
    const atOnce = reconnectsAtOnce(error) && (this.failures === 1 || afterDrop);
    const delay = atOnce ? 0 : this.backOff(error);
    this.clearRetryTimer();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.closed && !this.stoppedWith) this.socket.connect();
    }, delay);
  }

  /**
   * A refresh in place failed; the current token still holds. Tried again after a back-off
   * while the token lasts and retries remain; otherwise the server's drop at expiry leads
   * to a reconnection (or a stop, when retries are spent).
   */
  private refreshFailed(error: SessionError): void {
    // A reason a new token cannot fix (another user, revoked, ...): the socket keeps its token, no
    // more refreshes in place; the drop at expiry leads to a reconnection (docs/protocol.md §7).
    if (error instanceof ClientSessionError && !error.retryable) return this.stop(error);
    if (!isRefreshRetryable(error)) return this.clearRefreshTimer();
    if (error instanceof UnauthorizedError) this.lastError = error;
    // rate_limited without retryAfterMs: an earlier authenticate (one whose answer timed out here) is
    // still pending on the server; tried again later, not counted (docs/protocol.md §8.5).
    const counted = !(error instanceof UnauthorizedError && error.reason === 'rate_limited' && error.data.retryAfterMs === undefined);
    if ((counted && ++this.failures > this.settings.maxRetries) || this.deadline === null) return;
    const delay = this.backOff(error);
    if (delay >= this.deadline - monotonic()) return;
    this.clearRefreshTimer();
    this.refreshTimer = setTimeout(() => void this.refresh(), delay);
  }

  /** retryDelayMs, doubled with each consecutive failure up to 30 s, stretched by jitter; never below what the server asked. */
  private backOff(error: SessionError): number {
    const base = Math.min(this.settings.retryDelayMs * 2 ** (Math.max(this.failures, 1) - 1), MAX_RETRY_DELAY_MS);
    return Math.max(Math.round(base * (1 + JITTER * Math.random())), retryAfter(error));
  }

  private sendAuthenticate(token: string): Promise<AuthenticateResult> {
    const refusalsAtSend = this.refusals;
    return new Promise((resolve) => {
      this.socket.timeout(this.settings.ackTimeoutMs).emit('authenticate', { token }, (timeout: Error | null, ack?: LifetimeNotice) => {
        if (!timeout && ack?.ok === true) return resolve({ ok: true, notice: ack, refusalsAtSend });
        if (timeout) {
          return resolve({ ok: false, error: new ClientSessionError('ack_timeout', `the server did not answer authenticate within ${this.settings.ackTimeoutMs} ms`) });
        }
        const refusal = toUnauthorizedError(ack);
        resolve({ ok: false, error: refusal ?? new UnauthorizedError('unknown', 'internal', 'authenticate refused') });
      });
    });
  }

  /**
   * `refusalsAtSend`: an `unauthorized` handled since the `authenticate` was sent, yet before this
   * acceptance is applied (it runs after the acknowledgement's promise settles, so later packets may
   * come first), is a drop about to disconnect the socket: its reason is kept for that disconnect.
   * `announce: false`: handshake mode's connection, told to the app once the server's notice came.
   * `endBefore`: a refresh's deadline when it was sent, to tell whether it extended the life.
   */
  private accepted(
    token: string | undefined,
    refreshed: boolean,
    notice: LifetimeNotice | undefined,
    { refusalsAtSend, announce = true, endBefore }: { refusalsAtSend?: number; announce?: boolean; endBefore?: number | null } = {},
  ): void {
    this.failures = 0;
    if (refusalsAtSend === undefined || refusalsAtSend === this.refusals) this.lastError = undefined;
    this.clearRetryTimer();
    this.announceConnection(); // a connection's own, if still held, comes first
    const expiresInMs = this.setLifetime(token, notice);
    if (refreshed && !extendsLife(endBefore ?? null, this.deadline)) this.lifeCapped = true;
    if (announce) this.emit('authenticated', { exp: this.exp, expiresInMs, refreshed });
    this.scheduleRefresh();
  }

  /**
   * The server's `expiresInMs` when it gives one (a relative time: right whatever this
   * machine's clock says); from an older server, the token's `exp` against the local clock.
   */
  private setLifetime(token: string | undefined, notice: LifetimeNotice | undefined): number | null {
    const exp = typeof notice?.exp === 'number' ? notice.exp : token ? readExpiry(token) : null;
    this.exp = exp;
    const stated = notice?.expiresInMs;
    const remaining = typeof stated === 'number' && Number.isFinite(stated) ? Math.max(0, stated) : stated === null ? null : exp === null ? null : exp * 1000 - Date.now();
    this.deadline = remaining === null ? null : monotonic() + remaining;
    return remaining === null ? null : Math.max(0, Math.round(remaining));
  }

  private scheduleRefresh(): void {
    this.clearRefreshTimer();
    if (this.deadline === null || this.lifeCapped || !this.usable()) return;
    const delay = Math.max(refreshDelay(this.deadline - monotonic(), this.settings.refreshLeadMs), MIN_REFRESH_DELAY_MS);
    this.refreshTimer = setTimeout(() => void this.refresh(), delay);
  }

  /** getToken() once, bounded by `getTokenTimeoutMs`; every failure becomes a ClientSessionError. */
  private fetchToken(): Promise<string> {
    const { getToken, getTokenTimeoutMs } = this.settings;
    return new Promise<string>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(new ClientSessionError('token_timeout', `getToken() did not settle within ${getTokenTimeoutMs} ms`));
      }, getTokenTimeoutMs);
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      new Promise<string>((inner) => inner(getToken())).then(
        (token) =>
          settle(() => {
            if (typeof token !== 'string' || token.length === 0) return reject(tokenUnavailable(new TypeError('getToken() must return a non-empty string')));
            this.lastToken = token;
            resolve(token);
          }),
        (error: unknown) => settle(() => reject(tokenUnavailable(error))),
      );
    });
  }

  private stop(error: SessionError): void {
    if (this.stoppedWith || this.closed) return;
    this.stoppedWith = error;
    this.clearRefreshTimer();
    this.clearRetryTimer();
    this.clearNoticeTimer();
    this.deadline = null;
    if (this.socket.connected || this.socket.active) this.disconnectSocket();
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

  private clearNoticeTimer(): void {
    if (this.noticeTimer !== undefined) clearTimeout(this.noticeTimer);
    this.noticeTimer = undefined;
  }
}
