import type { Namespace, Socket } from 'socket.io';
import { asUnauthorizedError, type UnauthorizedError } from '../errors/errors.js';
import { concealCredentials, readToken, unshippableHandshake } from './read-token.js';
import { guardNamespaceRecovery, namespaceWatcher, resumeRecovered } from './recovery.js';
import { reportRefusal } from '../session/authenticate.js';
import type { SessionContext } from '../session/context.js';
import { withSessionControl } from '../session/session-registry.js';
import { SocketSession } from '../session/socket-session.js';
import { beforeAppListeners, gateOf } from '../socketio/socketio-seams.js';
import * as refuse from '../errors/refusals.js';
import type { HandshakeMiddleware } from '../types.js';

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
    const unshippable = unshippableHandshake(socket);
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
  guardNamespaceRecovery(nsp, ctx);
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
  const unshippable = unshippableHandshake(socket);
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
