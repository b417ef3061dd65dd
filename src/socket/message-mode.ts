import type { Socket } from 'socket.io';
import { concealCredentials, unshippableHandshake } from './extract-token.js';
import { guardNamespaceRecovery, namespaceWatcher, resumeRecovered } from './recovery.js';
import { withSessionControl, type SessionControl, type SessionRegistry } from '../session/session-registry.js';
import { SocketSession, type ModeSettings } from '../session/socket-session.js';
import { beforeAppListeners, gateOf } from '../socketio/socketio-seams.js';

export interface MessageSettings {
  sessions: SessionRegistry;
  timeoutMs: number;
  mode: ModeSettings;
}

/** `io.on('connection')` listener for the two-round-trip flow; carries `revoke()` and `sessionCount`. */
export type ConnectionListener = ((socket: Socket<any, any, any, any>) => void) & SessionControl;

/**
 * Each connecting socket gets its session: held out of the namespace until a valid
 * `authenticate` (or admitted anonymously with `required: false`); a socket socket.io
 * recovered comes back live if the recovery guard accepted its stored claims.
 *
 * Once sockjwt watches the namespace (`auth.watch()` at startup, else from its first connection)
 * the session starts ahead of every `connect` and `connection` listener of the app's, wherever
 * they were registered: none of them ever reaches a socket that is not held yet.
 */
export function createConnectionListener(settings: MessageSettings): ConnectionListener {
  const { sessions } = settings;
  const start = (socket: Socket): void => startSession(socket, settings);
  const watch = namespaceWatcher((nsp) => {
    guardNamespaceRecovery(nsp, sessions);
    beforeAppListeners(nsp, start);
  });
  const onConnection = (socket: Socket, ...misused: unknown[]): void => {
    // Registered with io.use() by mistake: refuse loudly rather than hang every handshake.
    const next = misused[0];
    if (typeof next === 'function') return next(new Error(MISUSED_AS_MIDDLEWARE));
    watch(socket.nsp, false);
    guardNamespaceRecovery(socket.nsp, sessions); // an adapter installed since the first connection is guarded too
    // Connected before the namespace was watched (its first socket): its session starts only now.
    if (!gateOf(socket)) start(socket);
  };
  return withSessionControl(onConnection, sessions, (nsp) => watch(nsp, true)) as ConnectionListener;
}

function startSession(socket: Socket, settings: MessageSettings): void {
  const { sessions } = settings;
  const cookie = settings.mode.tokenCookie;
  if (cookie !== undefined) concealCredentials(socket, { authHeaderRequired: false, query: false, cookie });
  const session = new SocketSession(socket, sessions, settings.mode);
  const unshippable = unshippableHandshake(socket);
  if (unshippable) return session.refuseAtConnect(unshippable);
  if (socket.recovered && resumeRecovered(socket, session, sessions)) return;
  if (sessions.required) session.holdUntilAuthenticated(settings.timeoutMs);
  else session.admitAnonymously();
}

const MISUSED_AS_MIDDLEWARE =
  'sockjwt: authorize() without handshake: true returns a connection listener: use io.on("connection", authorize(...)), or pass handshake: true to io.use() it';
