import type { Namespace, Socket } from 'socket.io';
import { asUnauthorizedError, UnauthorizedError } from '../errors/errors.js';
import { guardNamespaceRecovery, namespaceWatcher, resumeRecovered } from './recovery.js';
import { reportRefusal } from '../session/report.js';
import type { SessionContext, TokenSources } from '../session/context.js';
import { withSessionControl } from '../session/session-registry.js';
import { SocketSession } from '../session/socket-session.js';
import { beforeAppListeners, gateOf } from '../socketio/socketio-seams.js';
import { cookieValue } from '../util/cookies.js';
import { unshippableHandshake } from '../verify/check-token.js';
import * as refuse from '../errors/refusals.js';
import type { HandshakeMiddleware } from '../types.js';

/**
 * The handshake, and handshake mode: where a token is read from a handshake, how the
 * credentials in it are hidden (message mode hides a token cookie too), and the middleware
 * that verifies the token there.
 */

/**
 * A handshake, top to bottom: read the token → verify it (and its revocation) → `next()`; the
 * commit follows when socket.io connects the socket (`onConnected`, below), ahead of every
 * `connect` and `connection` listener of the app's. Any refusal is the client's `connect_error`.
 * The socket's session exists from the first line, so its gate stands in front of anything an
 * earlier middleware of the app's installed.
 */
export function createHandshakeMiddleware(ctx: SessionContext): HandshakeMiddleware {
  const onConnected = (socket: Socket): void => connected(socket, ctx);
  const watch = namespaceWatcher((nsp) => watchNamespace(nsp, ctx, onConnected));

  const middleware = (socket: Socket, next: (err?: Error) => void): void => {
    if (typeof next !== 'function') return refuseMisuse(socket);
    watch(socket.nsp, false);
    const session = new SocketSession(socket, ctx);
    const unshippable = unshippableHandshake(socket.handshake);
    if (unshippable) return refuseHandshake(ctx, socket, unshippable, next);
    let token: unknown;
    try {
      token = readToken(socket.handshake, ctx.sources);
    } catch (error) {
      return refuseHandshake(ctx, socket, asUnauthorizedError(error, (cause) => refuse.internal('token extraction failed', cause)), next);
    }
    if (token === undefined) {
      if (ctx.required) return refuseHandshake(ctx, socket, refuse.credentialsRequired(), next);
      session.admitAnonymously();
      return next();
    }
    concealCredentials(socket, ctx.sources);
    session.verifyHandshake(token, next);
  };
  return withSessionControl(middleware, ctx.sessions, (nsp) => watch(nsp, true)) as HandshakeMiddleware;
}

function refuseHandshake(ctx: SessionContext, socket: Socket, error: UnauthorizedError, next: (err?: Error) => void): void {
  reportRefusal(ctx, socket, error, 'connect');
  next(error);
}

function watchNamespace(nsp: Namespace, ctx: SessionContext, onConnected: (socket: Socket) => void): void {
  ctx.sessions.serves(nsp);
  guardNamespaceRecovery(nsp, ctx, (presented) => readToken(presented, ctx.sources));
  beforeAppListeners(nsp, onConnected);
}

/**
 * A middleware cannot see the connection it allowed, so the socket's connection is the commit
 * point. A socket refused by a later middleware never connects and is simply forgotten. A socket
 * socket.io recovered skipped the middlewares: its session comes back from what the recovery
 * guard accepted, and the credentials its client presented anew are hidden as the middleware would.
 */
function connected(socket: Socket, ctx: SessionContext): void {
  const session = gateOf(socket);
  if (session instanceof SocketSession && session.ctx === ctx) return session.onConnected();
  if (session !== undefined) return;
  const recovered = new SocketSession(socket, ctx);
  concealCredentials(socket, ctx.sources);
  const unshippable = unshippableHandshake(socket.handshake);
  if (unshippable) return recovered.refuseAtConnect(unshippable);
  if (!socket.recovered || !resumeRecovered(socket, recovered, ctx)) recovered.onConnected();
}

/** Registered with io.on('connection') by mistake: there is no `next`, so drop the socket and say why. */
function refuseMisuse(socket: Socket): void {
  process.emitWarning(
    'sockjwt: authorize({ handshake: true }) returns an io.use() middleware, not a connection listener; the socket was disconnected',
    { code: 'SOCKJWT_MISUSED' },
  );
  socket.disconnect(true);
}

// ───────────────────────────── the token in a handshake ─────────────────────────────

/** The parts of a handshake a token is read from. */
export interface TokenCarrier {
  auth: unknown;
  headers: { authorization?: string | undefined; cookie?: string | undefined };
  query: Record<string, unknown>;
}

/**
 * First found wins: `auth.token` (the CONNECT packet body, never in a URL), the Bearer
 * header, the `token` query parameter, then the configured cookie. Returns undefined when
 * none is present; throws when one is present but unusable.
 */
export function readToken(handshake: TokenCarrier, sources: TokenSources): unknown {
  if (sources.authHeaderRequired) return bearerToken(handshake.headers.authorization, true);

  const fromAuth = (handshake.auth as Record<string, unknown> | undefined)?.['token'];
  if (fromAuth !== undefined && fromAuth !== null && fromAuth !== '') return fromAuth;

  const fromHeader = bearerToken(handshake.headers.authorization, false);
  if (fromHeader !== undefined) return fromHeader;

  if (sources.query) {
    const fromQuery = handshake.query['token'];
    if (fromQuery !== undefined && fromQuery !== '') return fromQuery;
  }

  if (sources.cookie) return cookieValue(handshake.headers.cookie, sources.cookie);
  return undefined;
}

function bearerToken(header: string | undefined, required: boolean): string | undefined {
  if (header === undefined || header === '') {
    if (required) throw refuse.authorizationHeaderRequired();
    return undefined;
  }
  const parts = header.split(' ');
  if (parts.length !== 2) throw badFormat();
  const [scheme, credentials] = parts as [string, string];
  if (/^Bearer$/i.test(scheme) && credentials) return credentials;
  if (required) throw badFormat();
  return undefined;
}

function badFormat(): UnauthorizedError {
  return refuse.badAuthorizationHeader();
}

/**
 * Hides every handshake field that may carry a bearer token from serialisation: socket.io
 * ships `socket.handshake` to other nodes in `fetchSockets()`, and apps log it. The fields
 * stay readable on this socket: `auth.token` through a getter (the common case, and the
 * cheapest: no property is reconfigured), the others made non-enumerable.
 */
export function concealCredentials(socket: Socket, sources: Pick<TokenSources, 'cookie'>): void {
  const { handshake } = socket;
  concealAuthToken(handshake);
  conceal(handshake.headers, 'authorization');
  if (conceal(handshake.query, 'token')) conceal(handshake, 'url'); // the query string is in it too
  if (sources.cookie) conceal(handshake.headers, 'cookie');
}

/**
 * `handshake.auth` whose `token` is read through the prototype, not held as an own property:
 * `JSON.stringify`, the msgpack encoders and the adapters' copies see the other fields only.
 */
class ConcealedAuth {
  #token: unknown;

  constructor(token: unknown) {
    this.#token = token;
  }

  get token(): unknown {
    return this.#token;
  }

  set token(value: unknown) {
    this.#token = value;
  }
}

function concealAuthToken(handshake: { auth: unknown }): void {
  const auth = handshake.auth as Record<string, unknown> | undefined;
  if (typeof auth !== 'object' || auth === null || auth instanceof ConcealedAuth || !Object.hasOwn(auth, 'token')) return;
  const concealed = new ConcealedAuth(auth['token']) as unknown as Record<string, unknown>;
  for (const key in auth) if (key !== 'token' && Object.hasOwn(auth, key)) concealed[key] = auth[key];
  handshake.auth = concealed;
}

function conceal(holder: object | undefined, key: string): boolean {
  if (typeof holder !== 'object' || holder === null || !Object.prototype.hasOwnProperty.call(holder, key)) return false;
  Object.defineProperty(holder, key, { enumerable: false });
  return true;
}
