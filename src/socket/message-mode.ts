import type { Namespace, Socket } from 'socket.io';
import { concealCredentials } from './handshake.js';
import { guardNamespaceRecovery, namespaceWatcher, resumeRecovered } from './recovery.js';
import type { SessionContext } from '../session/context.js';
import { withSessionControl } from '../session/session-registry.js';
import { SocketSession } from '../session/socket-session.js';
import { beforeAppListeners, gateOf } from '../socketio/socketio-seams.js';
import { unshippableHandshake } from '../verify/check-token.js';
import type { ConnectionListener } from '../types.js';

/**
 * Each connecting socket gets its session: held out of the namespace until a valid
 * `authenticate` (or admitted anonymously with `required: false`); a socket socket.io
 * recovered comes back live if the recovery guard accepted its stored claims.
 *
 * Once sockjwt watches the namespace (`auth.watch()` at startup, else from its first connection)
 * the session starts ahead of every `connect` and `connection` listener of the app's, wherever
 * they were registered: none of them ever reaches a socket that is not held yet.
 */
export function createConnectionListener(ctx: SessionContext): ConnectionListener {
  const start = (socket: Socket): void => startSession(socket, ctx);
  const watch = namespaceWatcher((nsp) => watchNamespace(nsp, ctx, start));
  const onConnection = (socket: Socket, ...misused: unknown[]): void => {
    // Registered with io.use() by mistake: refuse loudly rather than hang every handshake.
    const next = misused[0];
    if (typeof next === 'function') return next(new Error(MISUSED_AS_MIDDLEWARE));
    watch(socket.nsp, false);
    // Connected before the namespace was watched (its first socket): its session starts only now.
    start(socket);
  };
  return withSessionControl(onConnection, ctx.sessions, (nsp) => watch(nsp, true)) as ConnectionListener;
}

function watchNamespace(nsp: Namespace, ctx: SessionContext, start: (socket: Socket) => void): void {
  ctx.sessions.serves(nsp);
  guardNamespaceRecovery(nsp, ctx);
  beforeAppListeners(nsp, start);
}

/** A socket's session, once: held, admitted anonymously, resumed, or refused at once. */
function startSession(socket: Socket, ctx: SessionContext): void {
  if (gateOf(socket)) return;
  if (ctx.tokenCookie !== undefined) concealCredentials(socket, { cookie: ctx.tokenCookie });
  const session = new SocketSession(socket, ctx);
  const unshippable = unshippableHandshake(socket.handshake);
  if (unshippable) return session.refuseAtConnect(unshippable);
  if (socket.recovered && resumeRecovered(socket, session, ctx)) return;
  if (ctx.required) session.holdUntilAuthenticated();
  else session.admitAnonymously();
}

const MISUSED_AS_MIDDLEWARE =
  'sockjwt: authorize() without handshake: true returns a connection listener: use io.on("connection", authorize(...)), or pass handshake: true to io.use() it';
