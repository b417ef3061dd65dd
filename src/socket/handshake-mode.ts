import type { Namespace, Socket } from 'socket.io';
import { asUnauthorizedError, type UnauthorizedError } from '../errors/errors.js';
import { concealCredentials, extractHandshakeToken, unshippableHandshake, type TokenSources } from './extract-token.js';
import { guardNamespaceRecovery, namespaceWatcher, resumeRecovered } from './recovery.js';
import { withSessionControl, type SessionControl, type SessionRegistry } from '../session/session-registry.js';
import { SocketSession } from '../session/socket-session.js';
import { beforeAppListeners, gateOf } from '../socketio/socketio-seams.js';
import * as refuse from '../errors/refusals.js';

export interface HandshakeSettings {
  sessions: SessionRegistry;
  sources: TokenSources;
}

/**
 * `io.use()` middleware: socket.io's CONNECT is answered only once the token has verified.
 * It also carries the live sessions it admitted (`revoke()`, `sessionCount`).
 */
export type HandshakeMiddleware = ((socket: Socket<any, any, any, any>, next: (err?: Error) => void) => void) & SessionControl;

/**
 * A refusal never waits for an acknowledgement (the client is not connected yet); admission is
 * CONNECT itself, announced with `authenticated` only to a client that asks (socket-session.ts).
 */
const HANDSHAKE_MODE = { callback: false as const, announceAdmission: false };

/**
 * extract → verify → attach, then `next()`; any refusal becomes the client's `connect_error`.
 * The socket's session exists from the first line, so its gate stands in front of anything
 * an earlier middleware of the app's installed; it goes live at `connection`.
 */
export function createHandshakeMiddleware(settings: HandshakeSettings): HandshakeMiddleware {
  const { sessions } = settings;
  const watch = namespaceWatcher((nsp) => watchNamespace(nsp, sessions));

  const middleware = (socket: Socket, next: (err?: Error) => void): void => {
    if (typeof next !== 'function') return refuseMisuse(socket);
    watch(socket.nsp, false);
    const session = new SocketSession(socket, sessions, HANDSHAKE_MODE);
    const refuseHandshake = (error: UnauthorizedError) => {
      sessions.settings.gate.refused(socket, error, 'connect');
      next(error);
    };
    const unshippable = unshippableHandshake(socket);
    if (unshippable) return refuseHandshake(unshippable);
    let token: unknown;
    try {
      token = extractHandshakeToken(socket, settings.sources);
    } catch (error) {
      return refuseHandshake(asUnauthorizedError(error, (cause) => refuse.internal('token extraction failed', cause)));
    }
    if (token === undefined) {
      if (sessions.required) return refuseHandshake(refuse.credentialsRequired());
      session.admitAnonymously();
      return next();
    }
    concealCredentials(socket, settings.sources);
    session.verifyHandshake(token).then(
      () => next(),
      (error: unknown) => next(asUnauthorizedError(error, (cause) => refuse.internal(undefined, cause))),
    );
  };
  return withSessionControl(middleware, sessions, (nsp) => watch(nsp, true)) as HandshakeMiddleware;
}

/**
 * A middleware cannot see the connection it allowed, so the socket's connection is the commit
 * point, ahead of every `connect` and `connection` listener of the app's (a revocation heard after
 * verification refuses the socket before they see it). A socket refused by a later middleware
 * never connects and is simply forgotten. A socket socket.io recovered skipped the middlewares:
 * its session comes back from what the recovery guard accepted.
 */
function watchNamespace(nsp: Namespace, sessions: SessionRegistry): void {
  guardNamespaceRecovery(nsp, sessions);
  beforeAppListeners(nsp, (socket: Socket) => {
    const session = gateOf(socket);
    if (session instanceof SocketSession) return session.onConnected();
    const recovered = new SocketSession(socket, sessions, HANDSHAKE_MODE);
    // Its handshake is the recovering client's new one, which no middleware looked at.
    const unshippable = unshippableHandshake(socket);
    if (unshippable) return recovered.refuseAtConnect(unshippable);
    if (!socket.recovered || !resumeRecovered(socket, recovered, sessions)) recovered.onConnected();
  });
}

/** Registered with io.on('connection') by mistake: there is no `next`, so drop the socket and say why. */
function refuseMisuse(socket: Socket): void {
  process.emitWarning(
    'sockjwt: authorize({ handshake: true }) returns an io.use() middleware, not a connection listener; the socket was disconnected',
    { code: 'SOCKJWT_MISUSED' },
  );
  socket.disconnect(true);
}
