import type { Server, Socket } from 'socket.io';
import type { AuthorizeOptions, SecretCallback } from './options.js';

// The names socketio-jwt 4.6.2's types/index.d.ts exported, so its TypeScript users change only the import.

/** @deprecated socketio-jwt's name for the options: use `AuthorizeOptions` (or `HandshakeOptions` / `MessageOptions`). */
export type IOptions = AuthorizeOptions;

/** @deprecated socketio-jwt's name for a secret function's callback: use `SecretCallback`. */
export type ISocketCallback = SecretCallback;

/**
 * @deprecated socketio-jwt's `{ code, message }`, as given to a secret function's callback or to
 * `additional_auth`'s `onError`: use `AdditionalAuthError`.
 */
export interface ISocketIOError {
  readonly code: string;
  readonly message: string;
}

/**
 * @deprecated socketio-jwt's middleware type: use `HandshakeMiddleware` (which also carries
 * `revoke()` and `sessionCount`).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- socketio-jwt's own shape
export type ISocketIOMiddleware = (socket: Socket<any, any, any, any>, fn: (err?: any) => void) => void;

/**
 * @deprecated socketio-jwt's augmented `SocketIO.Server`. socket.io v4's `Server` already takes
 * `io.on('authenticated', (socket) => ...)`; type `socket.data` with `AuthorizedSocketData`.
 */
export type JWTServer = Server;
