import type { Namespace, Socket } from 'socket.io';
import { attachIdentity } from './attach.js';
import type { Identity } from './authenticate.js';
import { asUnauthorizedError, type UnauthorizedError } from './errors.js';
import { concealCredentials, credentialsRequired, extractHandshakeToken, type TokenSources } from './extract-token.js';
import { guardAnonymous } from './claim-guards.js';
import { guardRecovery, openRecoveredSession } from './recovery.js';
import { lifetimeNotice } from './session-lifetime.js';
import { withSessionControl, type SessionControl, type SessionRegistry } from './session-registry.js';

export interface HandshakeSettings {
  sessions: SessionRegistry;
  sources: TokenSources;
  required: boolean;
}

/**
 * `io.use()` middleware: socket.io's CONNECT is answered only once the token has verified.
 * It also carries the live sessions it admitted (`revoke()`, `sessionCount`).
 */
export type HandshakeMiddleware = ((socket: Socket<any, any, any, any>, next: (err?: Error) => void) => void) & SessionControl;

/**
 * extract → verify → attach, then `next()`; any refusal becomes the client's `connect_error`.
 * Once the socket is connected, its live session starts: expiry, refresh, revocation.
 */
export function createHandshakeMiddleware(settings: HandshakeSettings): HandshakeMiddleware {
  const { sessions } = settings;
  const admitted = new WeakMap<Socket, Identity<unknown>>();
  const watched = new WeakSet<Namespace>();

  const middleware = (socket: Socket, next: (err?: Error) => void): void => {
    if (typeof next !== 'function') return refuseMisuse(socket);
    if (!watched.has(socket.nsp)) {
      watched.add(socket.nsp);
      watchNamespace(socket.nsp, sessions, admitted);
    }
    const { gate } = sessions.settings;
    const refuse = (error: UnauthorizedError) => {
      gate.refused(socket, error, 'connect');
      next(error);
    };
    let token: unknown;
    try {
      token = extractHandshakeToken(socket, settings.sources);
    } catch (error) {
      return refuse(asUnauthorizedError(error, { code: 'unknown', reason: 'internal', message: 'token extraction failed' }));
    }
    if (token === undefined) return settings.required ? refuse(credentialsRequired()) : next();
    concealCredentials(socket, settings.sources);

    gate.authenticate(socket, token, 'connect').then(
      (identity) => {
        attachIdentity(socket, identity, sessions.settings.names);
        admitted.set(socket, identity);
        next();
      },
      (error: unknown) => next(asUnauthorizedError(error, { code: 'unknown', reason: 'internal', message: 'authentication failed' })),
    );
  };
  return withSessionControl(middleware, sessions) as HandshakeMiddleware;
}

/**
 * A middleware cannot see the connection it allowed, so the namespace's `connection`
 * event starts the live session, ahead of the app's own handlers. A socket refused by a
 * later middleware never connects and is simply forgotten.
 */
function watchNamespace(nsp: Namespace, sessions: SessionRegistry, admitted: WeakMap<Socket, Identity<unknown>>): void {
  guardRecovery(nsp, sessions.settings);
  nsp.prependListener('connection', (socket: Socket) => {
    const identity = admitted.get(socket);
    if (identity) {
      admitted.delete(socket);
      sessions.open(socket, identity, true);
      // The client hears how long its token holds here (sockjwt/client schedules its refresh from it).
      socket.emit('authenticated', lifetimeNotice(identity.payload, sessions.settings.lifetime));
    } else if (socket.recovered && socket.data?.[sessions.settings.names.decoded] !== undefined) {
      openRecoveredSession(socket, sessions);
    } else {
      guardAnonymous(socket, sessions.settings);
    }
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
