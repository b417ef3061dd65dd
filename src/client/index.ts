import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { DefaultEventsMap, EventsMap } from '@socket.io/component-emitter';
import { ClientSession, type GetToken } from './client-session.js';
import { numberOption } from '../util/numbers.js';

export interface ConnectOptions extends Partial<ManagerOptions & SocketOptions> {
  /** Returns a current token (sync or async); called before every connection and refresh. Required. */
  getToken: GetToken;
  /** `'handshake'` (the server uses `authorize({ handshake: true })`) or `'message'`. Default `'handshake'`. */
  mode?: 'handshake' | 'message';
  /** Refresh this many ms before `exp` (at most half the remaining life). Default 30,000. */
  refreshLeadMs?: number;
  /** How long (ms) to wait for the server to answer an `authenticate`. Default 10,000. */
  ackTimeoutMs?: number;
  /** How long (ms) one `getToken()` call may take; a slower one counts as a failure (`token_timeout`). Default 10,000. */
  getTokenTimeoutMs?: number;
  /** Consecutive failures (refusals a new token might fix, getToken errors, timeouts) before giving up. Default 5. */
  maxRetries?: number;
  /**
   * First back-off (ms) between those attempts, doubled each time up to 30 s, lengthened by up to 25 %
   * at random (never shortened). At least 250 (docs/protocol.md §8.3). Default 1,000.
   */
  retryDelayMs?: number;
}

/** The shortest back-off a client may use (docs/protocol.md §8.3). */
const MIN_RETRY_DELAY_MS = 250;

/** A socket.io-client socket whose `session` keeps it authenticated. */
export type AuthenticatedSocket<ListenEvents extends EventsMap = DefaultEventsMap, EmitEvents extends EventsMap = ListenEvents> = Socket<
  ListenEvents,
  EmitEvents
> & { readonly session: ClientSession };

/**
 * Connects to a sockjwt server and keeps the connection authenticated: the token goes
 * in the handshake `auth` (or an `authenticate` message), is refreshed in place before it
 * expires, and a socket dropped for an expired token comes back with a fresh one.
 *
 * @example
 * ```ts
 * import { connect } from 'sockjwt/client';
 * const socket = connect('https://chat.example.com', { getToken: () => fetch('/auth/token').then((r) => r.text()) });
 * socket.session.on('stopped', (error) => showLogin(error.reason));
 * ```
 */
export function connect<ListenEvents extends EventsMap = DefaultEventsMap, EmitEvents extends EventsMap = ListenEvents>(
  url: string,
  options: ConnectOptions,
): AuthenticatedSocket<ListenEvents, EmitEvents> {
  const {
    getToken,
    mode = 'handshake',
    refreshLeadMs = 30_000,
    ackTimeoutMs = 10_000,
    getTokenTimeoutMs = 10_000,
    maxRetries = 5,
    retryDelayMs = 1000,
    autoConnect = true,
    ...ioOptions
  } = options ?? ({} as ConnectOptions);
  if (typeof getToken !== 'function') throw new TypeError('sockjwt/client: "getToken" must be a function');
  if (mode !== 'handshake' && mode !== 'message') throw new TypeError('sockjwt/client: "mode" must be "handshake" or "message"');
  for (const [name, value] of Object.entries({ refreshLeadMs, ackTimeoutMs, getTokenTimeoutMs, retryDelayMs })) numberOption(value, name, 'nonNegative', 'sockjwt/client');
  numberOption(maxRetries, 'maxRetries', 'nonNegativeInteger', 'sockjwt/client');
  // docs/protocol.md §8.3: no refusal is retried sooner than 250 ms (the first retry after expired / session_limit aside).
  if (retryDelayMs < MIN_RETRY_DELAY_MS) throw new RangeError(`sockjwt/client: "retryDelayMs" must be at least ${MIN_RETRY_DELAY_MS}`);
  const session = new ClientSession({ getToken, mode, refreshLeadMs, ackTimeoutMs, getTokenTimeoutMs, maxRetries, retryDelayMs });
  const auth = mode === 'handshake' ? { auth: (callback: (data: object) => void) => session.handshakeAuth(callback) } : {};
  const socket = io(url, { ...ioOptions, ...auth, autoConnect: false }) as Socket<ListenEvents, EmitEvents>;
  // A socket closed by the app while a retry is pending must stay closed.
  const disconnect = socket.disconnect.bind(socket);
  session.bind(socket as unknown as Socket, disconnect);
  Object.defineProperty(socket, 'session', { value: session, enumerable: false });
  socket.disconnect = socket.close = () => {
    session.close();
    return disconnect();
  };
  if (autoConnect) socket.connect();
  return socket as AuthenticatedSocket<ListenEvents, EmitEvents>;
}

export { ClientSession } from './client-session.js';
export type { AuthenticatedInfo, ClientSessionEvents, GetToken } from './client-session.js';
export { ClientSessionError, toUnauthorizedError } from './client-error.js';
export type { ClientErrorReason, SessionError } from './client-error.js';
export { UnauthorizedError, isUnauthorizedError, ERROR_CODES, ERROR_REASONS } from '../errors/errors.js';
export type { ErrorCode, ErrorReason, UnauthorizedErrorData } from '../types.js';
