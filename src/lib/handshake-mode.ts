import type { Socket } from 'socket.io';
import { attachIdentity, type PropertyNames } from './attach.js';
import type { Authenticate } from './authenticate.js';
import { asUnauthorizedError } from './errors.js';
import { credentialsRequired, extractHandshakeToken, type TokenSources } from './extract-token.js';

export interface HandshakeSettings {
  authenticate: Authenticate<unknown>;
  sources: TokenSources;
  names: PropertyNames;
  required: boolean;
}

/** `io.use()` middleware: socket.io's CONNECT is answered only once the token has verified. */
export type HandshakeMiddleware = (socket: Socket<any, any, any, any>, next: (err?: Error) => void) => void;

/** extract → verify → attach, then `next()`; any refusal becomes the client's `connect_error`. */
export function createHandshakeMiddleware(settings: HandshakeSettings): HandshakeMiddleware {
  return (socket, next) => {
    if (typeof next !== 'function') return refuseMisuse(socket);
    let token: unknown;
    try {
      token = extractHandshakeToken(socket, settings.sources);
    } catch (error) {
      return next(asUnauthorizedError(error, { code: 'unknown', reason: 'internal', message: 'token extraction failed' }));
    }
    if (token === undefined) return next(settings.required ? credentialsRequired() : undefined);

    settings.authenticate(socket.request, token).then(
      (identity) => {
        attachIdentity(socket, identity, settings.names);
        next();
      },
      (error: unknown) => next(asUnauthorizedError(error, { code: 'unknown', reason: 'internal', message: 'authentication failed' })),
    );
  };
}

/** Registered with io.on('connection') by mistake: there is no `next`, so drop the socket and say why. */
function refuseMisuse(socket: Socket): void {
  process.emitWarning(
    'sockjwt: authorize({ handshake: true }) returns an io.use() middleware, not a connection listener; the socket was disconnected',
    { code: 'SOCKJWT_MISUSED' },
  );
  socket.disconnect(true);
}
